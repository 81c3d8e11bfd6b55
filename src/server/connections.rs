//! A cap on the connections served at once. The accept loop asks the make-service whether it
//! is ready before making each connection's service; [`ConnectionLimit`] is ready only once it
//! holds a free slot, which the connection's service keeps until the connection closes. So at
//! the cap no further connection is served: it waits in the listen backlog for a slot.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

type Acquiring = Pin<Box<dyn Future<Output = Option<OwnedSemaphorePermit>> + Send>>;

/// Wraps a make-service so that at most `max` connections are served at once.
pub struct ConnectionLimit<M> {
    inner: M,
    slots: Arc<Semaphore>,
    acquiring: Option<Acquiring>,
    held: Option<OwnedSemaphorePermit>,
}

impl<M> ConnectionLimit<M> {
    pub fn new(inner: M, max: usize) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(max.max(1))),
            acquiring: None,
            held: None,
        }
    }
}

impl<M, T> Service<T> for ConnectionLimit<M>
where
    M: Service<T>,
    M::Future: Send + 'static,
{
    type Response = Slotted<M::Response>;
    type Error = M::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, M::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.held.is_none() {
            let slots = &self.slots;
            let acquiring = self.acquiring.get_or_insert_with(|| {
                let slots = slots.clone();
                // The semaphore is never closed, so this always yields a permit.
                Box::pin(async move { slots.acquire_owned().await.ok() })
            });
            let permit = std::task::ready!(acquiring.as_mut().poll(cx));
            self.acquiring = None;
            self.held = permit;
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, target: T) -> Self::Future {
        let slot = self.held.take().map(Arc::new);
        let making = self.inner.call(target);
        Box::pin(async move {
            let inner = making.await?;
            Ok(Slotted { inner, _slot: slot })
        })
    }
}

/// A connection's service, holding its slot until the connection (and every clone of the
/// service, one per request in flight) is gone.
#[derive(Clone)]
pub struct Slotted<S> {
    inner: S,
    _slot: Option<Arc<OwnedSemaphorePermit>>,
}

impl<S, R> Service<R> for Slotted<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.inner.call(request)
    }
}
