//! The checked-in header's version macros agree with Cargo.toml and with the
//! runtime version calls, and the header declares every digest export.

use std::ffi::CStr;

fn header() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/oas.h"))
        .expect("include/oas.h")
}

fn define(h: &str, name: &str) -> u32 {
    let prefix = format!("#define {name} ");
    let line = h
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{name} missing"));
    line[prefix.len()..].trim().parse().expect("numeric macro")
}

#[test]
fn version_macros_match_cargo_and_runtime() {
    let h = header();
    let (major, minor, patch) = (
        define(&h, "OAS_VERSION_MAJOR"),
        define(&h, "OAS_VERSION_MINOR"),
        define(&h, "OAS_VERSION_PATCH"),
    );
    assert_eq!(major.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(minor.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(patch.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    let text = unsafe { CStr::from_ptr(oas::ffi::version::oas_version()) };
    assert_eq!(text.to_str().unwrap(), format!("{major}.{minor}.{patch}"));
    assert_eq!(
        oas::ffi::version::oas_version_number(),
        major * 10_000 + minor * 100 + patch
    );
}

#[test]
fn constants_and_digest_api_are_declared() {
    let h = header();
    assert_eq!(define(&h, "OAS_DIGEST_BUF_LEN"), 33);
    assert!(h.contains("#define OAS_SIZE_TO_END UINT64_MAX"));
    for decl in [
        "oas_etag *oas_etag_new(void);",
        "oas_result oas_etag_update(oas_etag *etag, const uint8_t *data, size_t len);",
        "oas_result oas_etag_finish(oas_etag *etag, char *etag_out, char *tree_etag_out);",
        "void oas_etag_free(oas_etag *etag);",
        "oas_result oas_etag_compute_buffer(const uint8_t *data, size_t len, char *etag_out, char *tree_etag_out);",
        "oas_result oas_etag_compute_fd(int fd, uint64_t offset, uint64_t size, char *etag_out, char *tree_etag_out);",
        "oas_result oas_tree_etag_combine(const char *const *tree_etags, size_t count, char *tree_etag_out);",
        "uint64_t oas_range_size(uint64_t start, uint64_t end);",
        "oas_result oas_calc_part_size(uint64_t total, uint64_t requested, uint64_t *part_size_out);",
        "typedef uint32_t oas_result;",
    ] {
        assert!(h.contains(decl), "missing: {decl}");
    }
}

/// The README names the version this crate is and lists its changes.
#[test]
fn readme_states_this_version_and_its_changes() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        readme.contains(&format!("`oas_version()` returns `\"{version}\"`")),
        "README: oas_version() must be documented as {version}"
    );
    assert!(
        readme.contains(&format!("## Changes in {version}")),
        "README: a \"Changes in {version}\" section"
    );
}

/// The one rule for `unsafe` exports (docs/conventions.md, "Unsafe"): an
/// export is `unsafe extern "C"` exactly when one of its arguments is a raw
/// pointer or a C callback, i.e. when a Rust caller could hand it memory it
/// must trust.
#[test]
fn exports_are_unsafe_exactly_when_they_take_pointers() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("extern \"C\" fn oas_") {
            let before = &rest[..i];
            let is_unsafe = before.ends_with("unsafe ");
            let sig = &rest[i..];
            let open = sig.find('(').unwrap();
            let close = sig.find(')').unwrap();
            let args = &sig[open + 1..close];
            let name = &sig["extern \"C\" fn ".len()..open];
            let takes_pointer = args.contains('*')
                || args.contains("oas_progress_fn")
                || args.contains("oas_log_callback");
            if is_unsafe != takes_pointer {
                wrong.push(format!(
                    "{name} (unsafe: {is_unsafe}, pointer args: {takes_pointer})"
                ));
            }
            checked += 1;
            rest = &sig[close..];
        }
    }
    assert!(checked > 100, "found only {checked} exports");
    assert!(
        wrong.is_empty(),
        "exports breaking the unsafe rule: {wrong:?}"
    );
}
