//! OAS emulator.
