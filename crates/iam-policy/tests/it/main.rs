//! Integration tests of the policy engine, one module per area; a single test binary keeps
//! link time low.

mod aws_messages;
mod cases;
mod evaluation;
mod operators;
mod parse_errors;
mod principal_forms;
mod props;
mod report;
mod set_qualifiers;
mod support;
mod variables;
