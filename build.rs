//! Build script: generates `include/oas.h` from `src/ffi/` with the pinned
//! cbindgen and gives the shared object an explicit SONAME.

use std::env;
use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // A hand edit of the header makes the next build regenerate it, so the
    // drift check in scripts/test.sh sees it.
    println!("cargo:rerun-if-changed=include/oas.h");

    // The ABI name: bumped only when a 1.x release breaks the ABI (docs/conventions.md,
    // "Versions and ABI"); 0.x releases keep liboas.so.0 and list their breaks in README.md.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liboas.so.0");

    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    // Version macros come from Cargo.toml so they can never disagree with it.
    let version =
        |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("cargo version");
    let macros = format!(
        "/** Major version of the header (see also oas_version_number()). */\n\
         #define OAS_VERSION_MAJOR {}\n\
         /** Minor version of the header. */\n\
         #define OAS_VERSION_MINOR {}\n\
         /** Patch version of the header. */\n\
         #define OAS_VERSION_PATCH {}\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH")
    );
    config.after_includes = Some(match config.after_includes.take() {
        Some(existing) => format!("{existing}\n{macros}"),
        None => macros,
    });

    // Parsing starts at the FFI module so that only the C boundary (and none of
    // the core's Rust constants) reaches the header.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed: {e}"));
    // write_to_file leaves the file untouched when the content is the same, so
    // an unchanged header does not make CMake or make rebuild the C side.
    bindings.write_to_file(root.join("include/oas.h"));
}
