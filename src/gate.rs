//! Pass or fail.
