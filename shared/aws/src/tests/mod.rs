//! Tests against mocked AWS responses (`aws-smithy-mocks`) and canned HTTP
//! clients. None of them opens a network connection.

mod account;
mod clients;
mod collect;
mod list;
mod region;
mod support;
