//! Evaluation: datasets in and out, model providers, assertions on outputs, and the concurrent
//! runner. The workspace persists what they produce; nothing here speaks SQL.

pub mod assertions;
pub mod compare;
pub mod dataset_io;
pub mod junit;
pub mod pricing;
pub mod providers;
pub mod runner;
