#!/usr/bin/env python3
"""Generates the bad-input sweep of the C API from include/oas.h.

    gen_bad_input_sweep.py <oas.h> <out.h>            write the sweep
    gen_bad_input_sweep.py <oas.h> --check-exports <liboas.so>
                                                      fail unless every symbol
                                                      the library exports is a
                                                      function of the header

Every function declared in the header is classified from its signature, and a
call is emitted for each pointer argument in turn set to NULL (the others
valid, from the fixture `F` of tests/c/test_bad_input_sweep.c), for each
string argument set to invalid UTF-8 and to "", so a new export is swept
without anyone remembering to add it. Only what a signature cannot say is
written down here: the valid value of an argument (VALID, by name with
per-function overrides), which pointers may be NULL (OPTIONAL), what an
accessor returns for NULL (NULL_VALUE) and a call for functions without
pointer arguments (NO_POINTER). A function the tables do not cover stops the
generator (and so the build) with a message saying what to add.
"""
import re
import subprocess
import sys

# ---------------------------------------------------------------------------
# Parsing

PROTO = re.compile(r"^([A-Za-z_][\w \*]*?[\s\*])(oas_\w+)\((.*)\);$", re.M)


class Param:
    def __init__(self, text):
        text = " ".join(text.split())
        m = re.match(r"^(.*?)(\w+)$", text)
        if not m:
            raise SystemExit(f"cannot parse parameter {text!r}")
        self.type = m.group(1).strip()
        self.name = m.group(2)
        # The callback types are function-pointer typedefs.
        self.is_pointer = "*" in self.type or self.type in (
            "oas_progress_fn",
            "oas_log_callback",
            "oas_read_fn",
            "oas_write_fn",
        )
        self.is_string = self.type == "const char *"


class Func:
    def __init__(self, ret, name, params):
        self.ret = " ".join(ret.split())
        self.name = name
        self.params = [] if params.strip() in ("", "void") else [Param(p) for p in params.split(",")]

    @property
    def pointers(self):
        return [p for p in self.params if p.is_pointer]


def parse_header(path):
    text = open(path, encoding="utf-8").read()
    funcs = [Func(*m.groups()) for m in PROTO.finditer(text)]
    declared = set(re.findall(r"\b(oas_\w+)\(", text))
    parsed = {f.name for f in funcs}
    if declared - parsed:
        raise SystemExit(f"prototypes the generator cannot parse: {sorted(declared - parsed)}")
    return funcs


# ---------------------------------------------------------------------------
# What a signature cannot say

# Valid value of a parameter, by C type (handles) or by name; "func.param"
# entries override both for one function. Expressions refer to the fixture
# `F` and the helpers of tests/c/test_bad_input_sweep.c.
VALID_BY_TYPE = {
    "const oas_client *": "F.client",
    "const oas_client_options *": "&F.opts",
    "oas_client_options *": "&F.opts",
    "const oas_upload_options *": "&F.upload_opts",
    "oas_upload_options *": "&F.upload_opts",
    "const oas_download_options *": "&F.download_opts",
    "oas_download_options *": "&F.download_opts",
    "const oas_purge_options *": "&F.purge_opts",
    "oas_purge_options *": "&F.purge_opts",
    "const oas_byte_range *": "&F.range",
    "const oas_vault *": "F.vault",
    "oas_vault *": "F.vault",
    "const oas_uploader *": "F.uploader",
    "oas_job *": "F.job",
    "const oas_job *": "F.job",
    "oas_etag *": "F.etag",
    "oas_inventory *": "F.inventory",
    "const oas_inventory *": "F.inventory",
    "const oas_inventory_archive *": "F.inv_archive",
    "const oas_error *": "sweep_error()",
    "const oas_vault_list *": "F.vault_list",
    "const oas_uploader_list *": "F.uploader_list",
    "const oas_job_list *": "F.job_list",
    "oas_job_list *": "F.job_list",
    "oas_progress_fn": "sweep_progress",
    "oas_read_fn": "sweep_read",
    "oas_write_fn": "sweep_write",
    "oas_log_callback": "sweep_log",
    "void *": "&F",
    "const uint8_t *": "F.data",
    "const char *const *": "F.tree_etags",
}
VALID_BY_NAME = {
    "vault_id": "F.vault_id",
    "job_id": "F.job_id",
    "archive_id": "F.archive_id",
    "upload_id": "F.upload_id",
    "name": "F.vault_name",
    "description": '"sweep"',
    "oss_host": '"oss.example.invalid"',
    "bucket": '"bucket"',
    "object": '"object"',
    "len": "sizeof F.data",
    "count": "1",
    "capacity": "4",
    "offset": "0",
    "size": "OAS_SIZE_TO_END",
    "part_size": "1048576",
    "total": "3145728",
    "requested": "0",
    "start": "0",
    "end": "F.archive_len - 1",
    "has_range": "false",
    "chunk_size": "0",
    "block": "false",
    "index": "0",
    "level": "OAS_LOG_WARN",
    "first_interval_ms": "10",
    "max_interval_ms": "100",
    "timeout_ms": "5000",
    "range_size": "0",
    "workers": "0",
    "bandwidth_limit": "0",
    "result": "OAS_RESULT_IO",
    "region": '"cn-hangzhou"',
    "internal": "false",
    "https": "false",
}
VALID_BY_FUNC = {
    "oas_etag_compute_file.path": "F.small_path",
    "oas_etag_compute_fd.fd": "F.in_fd",
    "oas_inventory_open.path": "F.inventory_path",
    "oas_vault_upload_archive.path": "F.small_path",
    "oas_vault_upload_fd.fd": "sweep_fresh_fd()",
    "oas_vault_initiate_uploader.path": "F.big_path",
    "oas_uploader_resume.path": "F.big_path",
    "oas_job_download_by_range.path": "F.out_path",
    "oas_job_download_to_file.path": "F.out_path",
    "oas_job_download_by_range_fd.fd": "F.out_fd",
    "oas_calc_part_size.total": "(1ull << 30)",
    "oas_error_header.name": '"x-oas-request-id"',
    "oas_client_options_init.size": "sizeof F.opts",
    "oas_upload_options_init.size": "sizeof F.upload_opts",
    "oas_download_options_init.size": "sizeof F.download_opts",
    "oas_purge_options_init.size": "sizeof F.purge_opts",
    # A vault of its own: a purge that runs (opts NULL) deletes it.
    "oas_vault_purge.vault": "F.purge_vault",
}

# Pointers that may be NULL (quoting the header's doc): a call with one of
# them NULL must not fail for that reason (any other outcome is allowed, as
# the call then really runs).
OPTIONAL = {
    "*.description": "description may be NULL",
    "*.progress": "progress may be NULL",
    "*.userdata": "userdata is passed through, never read",
    "oas_etag_finish.etag_out": "each NULL to skip",
    "oas_etag_finish.tree_etag_out": "each NULL to skip",
    "oas_etag_compute_buffer.etag_out": "outputs as for oas_etag_finish",
    "oas_etag_compute_buffer.tree_etag_out": "outputs as for oas_etag_finish",
    "oas_etag_compute_file.etag_out": "outputs as for oas_etag_finish",
    "oas_etag_compute_file.tree_etag_out": "outputs as for oas_etag_finish",
    "oas_etag_compute_fd.etag_out": "outputs as for oas_etag_finish",
    "oas_etag_compute_fd.tree_etag_out": "outputs as for oas_etag_finish",
    "oas_set_log_callback.callback": "a NULL callback turns logging off",
    "oas_vault_upload_archive.opts": "opts NULL = defaults",
    "oas_vault_upload_fd.opts": "opts NULL = defaults",
    "oas_vault_initiate_uploader.opts": "opts NULL = defaults",
    "oas_uploader_start.opts": "opts NULL = defaults",
    "oas_uploader_resume.opts": "opts NULL = defaults",
    "oas_job_download_by_range.opts": "opts NULL = defaults",
    "oas_job_download_by_range_fd.opts": "opts NULL = defaults",
    "oas_job_download_to_file.opts": "opts NULL = defaults",
    "oas_vault_upload_callback.opts": "opts NULL = defaults",
    "oas_job_download_to_callback.opts": "opts NULL = defaults",
    "oas_job_download_to_callback.range": "range NULL = the whole output",
    "oas_vault_purge.opts": "opts NULL = defaults",
    "oas_vault_retrieve_archive.range": "range NULL = the whole archive",
    "oas_vault_retrieve_archive_reuse.range": "range NULL = the whole archive",
    "oas_job_retrieve_archive_reuse.range": "range NULL = the whole archive",
}

# Strings for which "" is a valid value (the call then really runs).
EMPTY_OK = {"*.description", "oas_error_header.name"}

# What a function returning a value (not oas_result) gives when any pointer
# argument is NULL or a string is not UTF-8: ("str", text) compares strings,
# ("val", expr) compares values.
NULL_VALUE = {
    "oas_error_code": ("val", "OAS_RESULT_OK"),
    "oas_error_kind": ("val", "OAS_ERROR_KIND_NONE"),
    "oas_error_http_status": ("val", "0"),
    "oas_error_message": ("str", ""),
    "oas_error_server_code": ("str", ""),
    "oas_error_server_type": ("str", ""),
    "oas_error_request_id": ("str", ""),
    "oas_error_header": ("str", ""),
    "oas_error_server_message": ("str", ""),
    "oas_error_upload_id": ("str", ""),
    "oas_error_header_count": ("val", "0"),
    "oas_error_header_name": ("str", ""),
    "oas_error_header_value": ("str", ""),
    "oas_error_dup": ("val", "NULL"),
    "oas_inventory_vault_id": ("str", ""),
    "oas_inventory_date": ("str", ""),
    "oas_inventory_archive_id": ("str", ""),
    "oas_inventory_archive_description": ("str", ""),
    "oas_inventory_archive_creation_date": ("str", ""),
    "oas_inventory_archive_tree_etag": ("str", ""),
    "oas_inventory_archive_size": ("val", "0"),
    "oas_job_id": ("str", ""),
    "oas_job_action": ("str", ""),
    "oas_job_archive_id": ("str", ""),
    "oas_job_creation_date": ("str", ""),
    "oas_job_completion_date": ("str", ""),
    "oas_job_description": ("str", ""),
    "oas_job_status_code": ("str", ""),
    "oas_job_status_message": ("str", ""),
    "oas_job_tree_etag": ("str", ""),
    "oas_job_etag": ("str", ""),
    "oas_job_content_etag": ("str", ""),
    "oas_job_vault_id": ("str", ""),
    "oas_job_archive_size": ("val", "-1"),
    "oas_job_inventory_size": ("val", "-1"),
    "oas_job_completed": ("val", "false"),
    "oas_job_size_completed": ("val", "0"),
    "oas_uploader_list_len": ("val", "0"),
    "oas_uploader_list_get": ("val", "NULL"),
    "oas_uploader_id": ("str", ""),
    "oas_uploader_description": ("str", ""),
    "oas_uploader_creation_date": ("str", ""),
    "oas_uploader_part_size": ("val", "0"),
    "oas_uploader_size_total": ("val", "0"),
    "oas_uploader_size_completed": ("val", "0"),
    "oas_vault_list_len": ("val", "0"),
    "oas_vault_list_get": ("val", "NULL"),
    "oas_vault_id": ("str", ""),
    "oas_vault_name": ("str", ""),
    "oas_vault_creation_date": ("str", ""),
    "oas_vault_last_inventory_date": ("str", ""),
    "oas_vault_number_of_archives": ("val", "-1"),
    "oas_vault_size": ("val", "-1"),
    "oas_job_list_len": ("val", "0"),
    "oas_job_list_get": ("val", "NULL"),
}

# Functions without pointer arguments: checked at their edges instead.
NO_POINTER = {
    "oas_last_error": "sweep_check_last_error();",
    "oas_etag_new": "{ oas_etag *h = oas_etag_new(); CHECK(h != NULL); oas_etag_free(h); }",
    "oas_range_size": "CHECK(oas_range_size(5, 4) == 0); CHECK(oas_range_size(UINT64_MAX, 0) == 0);"
    " CHECK(oas_range_size(0, UINT64_MAX) == UINT64_MAX); CHECK(oas_range_size(UINT64_MAX, UINT64_MAX) == 1);",
    "oas_result_str": 'CHECK_STR(oas_result_str(UINT32_MAX), "unknown result code");',
    "oas_version": "CHECK(oas_version() != NULL && oas_version()[0] != '\\0');",
    "oas_version_number": "CHECK(oas_version_number() == OAS_VERSION_MAJOR * 10000u + OAS_VERSION_MINOR * 100u"
    " + OAS_VERSION_PATCH);",
}

# How to release what a successful call wrote to an output, by C type.
FREE_OUT = {
    "const oas_client **": "oas_client_free",
    "oas_vault **": "oas_vault_free",
    "oas_vault_list **": "oas_vault_list_free",
    "oas_uploader **": "oas_uploader_free",
    "oas_uploader_list **": "oas_uploader_list_free",
    "oas_job **": "oas_job_free",
    "oas_job_list **": "oas_job_list_free",
    "oas_inventory **": "oas_inventory_free",
    "char **": "oas_string_free",
    "const oas_inventory_archive **": None,  # borrowed from its inventory
}


def lookup(table, func, param):
    for key in (f"{func.name}.{param.name}", f"*.{param.name}"):
        if key in table:
            return key
    return None


def valid_value(func, p):
    key = f"{func.name}.{p.name}"
    if key in VALID_BY_FUNC:
        return VALID_BY_FUNC[key]
    if p.is_pointer and p.type in VALID_BY_TYPE and not p.is_string:
        return VALID_BY_TYPE[p.type]
    if p.name in VALID_BY_NAME:
        return VALID_BY_NAME[p.name]
    raise SystemExit(f"{func.name}: no valid value for `{p.type}{p.name}`: add it to VALID_* in {sys.argv[0]}")


# ---------------------------------------------------------------------------
# Emitting


class Call:
    """One call: local outputs with sentinels, the argument list, cleanup."""

    def __init__(self, func, override):
        self.decls, self.args, self.outs, self.free = [], [], [], []
        for i, p in enumerate(func.params):
            if p.name in override:
                self.args.append(override[p.name])
            elif p.name.endswith("_out") and p.is_pointer:
                var = f"o{i}"
                base = p.type[:-1].strip()  # type pointed to
                if p.type == "char *":  # a digest buffer
                    self.decls.append(f"char {var}[OAS_DIGEST_BUF_LEN]; memset({var}, 'x', sizeof {var});")
                    self.outs.append(f"CHECK({var}[0] == 'x');")
                    self.args.append(var)
                elif p.type == "oas_purge_report *":  # a struct the library fills
                    self.decls.append(f"oas_purge_report {var}; memset(&{var}, 0xA5, sizeof {var}); {var}.size = sizeof {var};")
                    self.outs.append(f"CHECK({var}.archives_listed == 0xA5A5A5A5A5A5A5A5ull);")
                    self.args.append(f"&{var}")
                elif p.type == "oas_byte_range *":
                    self.decls.append(f"oas_byte_range {var}[4]; memset({var}, 0xA5, sizeof {var});")
                    self.outs.append(f"CHECK({var}[0].start == 0xA5A5A5A5A5A5A5A5ull);")
                    self.args.append(var)
                elif base.endswith("*"):  # a handle or string output
                    self.decls.append(f"{base} {var} = ({base})SWEEP_SENTINEL;")
                    self.outs.append(f"CHECK({var} == ({base})SWEEP_SENTINEL);")
                    self.args.append(f"&{var}")
                    self.free.append((p.type, var))
                else:  # an integer output
                    self.decls.append(f"{base} {var}; memset(&{var}, 0xA5, sizeof {var});")
                    self.outs.append(f"CHECK({var} == ({base})0xA5A5A5A5A5A5A5A5ull);")
                    self.args.append(f"&{var}")
            else:
                self.args.append(valid_value(func, p))

    def frees(self):
        out = []
        for t, var in self.free:
            if t not in FREE_OUT:
                raise SystemExit(f"no free function for output type `{t}`: add it to FREE_OUT")
            if FREE_OUT[t] is None:
                continue
            cast = "(char *)" if t == "char **" else ""
            out.append(f"if ({var} != ({t[:-1].strip()})SWEEP_SENTINEL) {FREE_OUT[t]}({cast}{var});")
        return out


def emit_result_call(func, override, check, label):
    c = Call(func, override)
    call = f"{func.name}({', '.join(c.args)})"
    lines = ["  {"] + [f"    {d}" for d in c.decls]
    lines.append(f'    oas_result rc; SWEEP_BEGIN("{label}"); rc = {call}; SWEEP_END();')
    if check == "tolerated":
        lines.append(f'    sweep_tolerated(rc, "{label}");')
        lines += [f"    {f}" for f in c.frees()]
    else:
        code, needle = check
        if code is None:  # any failure code, with a message
            lines.append(f'    sweep_failed(rc, "{label}", __LINE__);')
        else:
            lines.append(f'    check_err_(rc, {code}, "{needle}", "{label}", __FILE__, __LINE__);')
        lines += [f"    {o}" for o in c.outs]
        lines += [f"    {f}" for f in c.frees()]  # a failing call must not write, but never leak
    lines.append("  }")
    return lines


def emit_value_call(func, override, label):
    kind, expect = NULL_VALUE[func.name]
    c = Call(func, override)
    call = f"{func.name}({', '.join(c.args)})"
    got = "sweep_str" if kind == "str" else "sweep_val"
    arg = f'"{expect}"' if kind == "str" else f"(long long)({expect})"
    if kind == "str":
        test = f"{got}({call}, {arg}, \"{label}\", __LINE__);"
    else:
        test = f"{got}((long long)({call}), {arg}, \"{label}\", __LINE__);"
    return ["  {", "    const oas_error *mark = sweep_mark();", f'    SWEEP_BEGIN("{label}");',
            f"    {test}", "    SWEEP_END();",
            f'    sweep_slot_kept(mark, "{label}");', "  }"]


def check_tables(funcs):
    """Every entry of the tables names a function (and parameter) of the
    header, so that a removed or renamed export leaves no stale expectation."""
    params = {f.name: {p.name for p in f.params} for f in funcs}
    stale = [k for k in list(NULL_VALUE) + list(NO_POINTER) if k not in params]
    for key in list(VALID_BY_FUNC) + list(OPTIONAL) + list(EMPTY_OK):
        func, param = key.split(".")
        if func != "*" and (func not in params or param not in params[func]):
            stale.append(key)
    if stale:
        raise SystemExit(f"table entries for no function of the header: {stale}")


def generate(funcs):
    check_tables(funcs)
    strict, optional, noptr, names = [], [], [], []
    calls = 0
    for f in funcs:
        names.append(f.name)
        if not f.pointers:
            if f.name not in NO_POINTER:
                raise SystemExit(f"{f.name} has no pointer argument: add an edge check to NO_POINTER")
            noptr.append(f"  {NO_POINTER[f.name]}")
            calls += 1
            continue
        returns_result = f.ret == "oas_result" and f.name not in NULL_VALUE  # oas_error_code is an accessor
        is_void = f.ret == "void"
        if not returns_result and not is_void and f.name not in NULL_VALUE:
            raise SystemExit(f"{f.name} returns `{f.ret}`: add what it gives for NULL to NULL_VALUE")
        for p in f.pointers:
            label = f"{f.name}({p.name}=NULL)"
            calls += 1
            if is_void:
                # Free functions, cancel/stop, options_init: NULL is a no-op
                # and leaves the last-error slot alone.
                strict.append("  {")
                strict.append("    const oas_error *mark = sweep_mark();")
                strict.append(f'    SWEEP_BEGIN("{label}"); {f.name}({", ".join("NULL" if q is p else valid_value(f, q) for q in f.params)}); SWEEP_END();')
                strict.append(f'    sweep_slot_kept(mark, "{label}");')
                strict.append("  }")
                continue
            if not returns_result:
                strict += emit_value_call(f, {p.name: "NULL"}, label)
                continue
            if lookup(OPTIONAL, f, p):
                optional += emit_result_call(f, {p.name: "NULL"}, "tolerated", label)
            else:
                strict += emit_result_call(f, {p.name: "NULL"}, ("OAS_RESULT_NULL_ARGUMENT", f"`{p.name}`"), label)
        for p in f.params:
            if not p.is_string:
                continue
            bad, empty = f"{f.name}({p.name}=bad UTF-8)", f'{f.name}({p.name}=\\"\\")'
            calls += 2
            if not returns_result:
                strict += emit_value_call(f, {p.name: "SWEEP_BAD_UTF8"}, bad)
                strict += emit_value_call(f, {p.name: '""'}, empty)
                continue
            strict += emit_result_call(f, {p.name: "SWEEP_BAD_UTF8"}, ("OAS_RESULT_INVALID_UTF8", f"`{p.name}`"), bad)
            if lookup(EMPTY_OK, f, p):
                optional += emit_result_call(f, {p.name: '""'}, "tolerated", empty)
            else:
                strict += emit_result_call(f, {p.name: '""'}, (None, ""), empty)

    out = ["/* GENERATED by tests/c/gen_bad_input_sweep.py from include/oas.h: do not edit. */",
           "#ifndef OAS_BAD_INPUT_SWEEP_H", "#define OAS_BAD_INPUT_SWEEP_H", "",
           f"#define SWEEP_N_FUNCTIONS {len(names)}", f"#define SWEEP_N_CALLS {calls}", f"#define SWEEP_N_NO_POINTER {len(noptr)}",
           "static const char *const SWEEP_FUNCTIONS[] = {"]
    out += [f'  "{n}",' for n in names]
    out += ["};", "",
            "/* NULL for each required pointer, invalid UTF-8 and \"\" for each string;",
            " * run first: none of these may have an effect. */",
            "static void sweep_strict(void) {"] + strict + ["}", "",
            "/* NULL for each optional pointer, \"\" where it is valid: the call runs. */",
            "static void sweep_optional(void) {"] + optional + ["}", "",
            "/* Functions without pointer arguments, at their edges. */",
            "static void sweep_no_pointer(void) {"] + noptr + ["}", "", "#endif", ""]
    return "\n".join(out)


def check_exports(funcs, lib):
    nm = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True, text=True)
    exported = {line.split()[-1] for line in nm.stdout.splitlines() if line.strip()}
    swept = {f.name for f in funcs}
    missing, extra = sorted(exported - swept), sorted(swept - exported)
    if missing or extra:
        if missing:
            print(f"exported but not swept (not in the header?): {missing}", file=sys.stderr)
        if extra:
            print(f"swept but not exported: {extra}", file=sys.stderr)
        return 1
    print(f"sweep covers all {len(exported)} exported functions of {lib}")
    return 0


def self_test(header):
    """A new export is swept with no edit here, and one the tables cannot
    cover stops the generator: checked on copies of the real header."""
    base = open(header, encoding="utf-8").read()
    end = base.rindex("#ifdef __cplusplus\n}")

    def run(extra):
        funcs = [Func(*m.groups()) for m in PROTO.finditer(base[:end] + extra + base[end:])]
        return generate(funcs)

    text = run("oas_result oas_vault_frobnicate(const oas_vault *vault, const char *archive_id, char **x_out);\n")
    for want in ('oas_vault_frobnicate(NULL, F.archive_id, &o2)', "`vault`", "`x_out`", "`archive_id`",
                 'oas_vault_frobnicate(F.vault, SWEEP_BAD_UTF8, &o2)', 'oas_vault_frobnicate(F.vault, "", &o2)'):
        if want not in text:
            raise SystemExit(f"self-test: a new export was not swept ({want!r} missing)")
    for extra, why in (("const char *oas_vault_motto(const oas_vault *vault);\n", "NULL_VALUE"),
                       ("oas_result oas_vault_frob(const oas_vault *vault, const char *gadget);\n", "VALID_"),
                       ("uint32_t oas_magic(uint32_t x);\n", "NO_POINTER")):
        try:
            run(extra)
        except SystemExit as e:
            if why not in str(e):
                raise SystemExit(f"self-test: {extra.strip()} stopped for the wrong reason: {e}")
            continue
        raise SystemExit(f"self-test: {extra.strip()} was accepted without a table entry")
    print("generator self-test passed")


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--self-test":
        return self_test(sys.argv[1])
    if len(sys.argv) == 4 and sys.argv[2] == "--check-exports":
        sys.exit(check_exports(parse_header(sys.argv[1]), sys.argv[3]))
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    funcs = parse_header(sys.argv[1])
    text = generate(funcs)
    try:
        if open(sys.argv[2], encoding="utf-8").read() == text:
            return
    except FileNotFoundError:
        pass
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
