//! The C library's ABI: every function through its C entry point, with good, bad and hostile inputs; the
//! header against the library; and a C program built against the header and the static library.

// Calling the C entry points is what these tests are for; each call passes valid pointers or the bad ones
// the case is about.
#![allow(unsafe_code)]

mod abi;
mod c_program;
mod go_fixtures;
mod header;
mod inbox;
