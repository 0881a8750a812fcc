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
    link_soname_next_to_the_library();

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

/// A program linked with `-L target/<profile> -loas` records the SONAME
/// `liboas.so.0` and looks for that file at run time; cargo only writes
/// `liboas.so`. The symlink `liboas.so.0 -> liboas.so` in the profile
/// directory (`OUT_DIR` is `<profile dir>/build/<pkg>-<hash>/out`) makes such
/// a program start with `LD_LIBRARY_PATH` or an rpath of `target/<profile>`.
/// It may dangle until the library is linked, after this script.
fn link_soname_next_to_the_library() {
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(profile_dir) = out.ancestors().nth(3) else {
        return;
    };
    let link = profile_dir.join("liboas.so.0");
    if std::fs::read_link(&link).is_ok_and(|t| t == std::path::Path::new("liboas.so")) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    if let Err(e) = std::os::unix::fs::symlink("liboas.so", &link) {
        println!("cargo:warning=could not create {}: {e}", link.display());
    }
}
