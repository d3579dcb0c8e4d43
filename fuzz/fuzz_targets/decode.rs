//! Fuzz target: RADIUS packet decoding must never panic; see
//! `lango::radius::fuzzing::check` for the property checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lango::radius::fuzzing::check(data));
