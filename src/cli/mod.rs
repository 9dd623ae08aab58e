//! The command line.

pub mod db;
pub mod diff;

/// Entry point of the binary; returns the exit code.
pub fn main() -> i32 {
    0
}
