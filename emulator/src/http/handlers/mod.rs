//! One file per resource of spec §4, plus the test-only bulk seeding of the
//! control endpoints.

pub(crate) mod archives;
pub(crate) mod jobs;
pub(crate) mod multipart;
pub(crate) mod seed;
pub(crate) mod vaults;
