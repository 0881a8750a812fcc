//! Vault and archive operations (spec §4.1, §4.2) and pagination.

mod common;
use common::*;

#[test]
fn vault_lifecycle_and_rules() {
    let (_emu, c) = start(Config {
        max_vaults: 3,
        ..Default::default()
    });
    let r = c.send("PUT", "/vaults/alpha-1", &[], Vec::new());
    assert_eq!(r.status, 201);
    let id = r.header("x-oas-vault-id").unwrap();
    assert_eq!(id.len(), 32);
    assert!(id
        .chars()
        .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_lowercase()));
    assert_eq!(r.header("location").unwrap(), format!("/vaults/{id}"));
    // Re-creating the same name returns the same id.
    assert_eq!(c.create_vault("alpha-1"), id);
    for bad in ["ab", "-abc", "abc-", "Abc", "a.bc", &"a".repeat(64)] {
        c.send("PUT", &format!("/vaults/{bad}"), &[], Vec::new())
            .expect_error(400, "InvalidVaultName");
    }
    assert_eq!(c.create_vault(&"a".repeat(63)).len(), 32);
    c.create_vault("a_b");
    c.send("PUT", "/vaults/four", &[], Vec::new())
        .expect_error(403, "TooManyVaults");
    let d = c.get(&format!("/vaults/{id}"));
    assert_eq!(d.status, 200);
    assert_eq!(
        d.header("content-type").as_deref(),
        Some("application/json")
    );
    let j = d.json();
    assert_eq!(j["VaultId"], id.as_str());
    assert_eq!(j["VaultName"], "alpha-1");
    assert_eq!(j["NumberOfArchives"], 0);
    assert_eq!(j["SizeInBytes"], 0);
    assert_eq!(j["LastInventoryDate"], "");
    assert!(httpdate::parse_http_date(j["CreationDate"].as_str().unwrap()).is_ok());
    // Archives make the vault non-empty; live statistics.
    let a = c.upload_ok(&id, &pattern(5000), "x");
    let j = c.get(&format!("/vaults/{id}")).json();
    assert_eq!(
        (j["NumberOfArchives"].as_i64(), j["SizeInBytes"].as_i64()),
        (Some(1), Some(5000))
    );
    c.send("DELETE", &format!("/vaults/{id}"), &[], Vec::new())
        .expect_error(409, "VaultNotEmpty");
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/vaults/{id}/archives/{a}"),
            &[],
            Vec::new()
        )
        .status,
        204
    );
    let r = c.send("DELETE", &format!("/vaults/{id}"), &[], Vec::new());
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    c.get(&format!("/vaults/{id}"))
        .expect_error(404, "VaultNotExists");
    c.send("DELETE", &format!("/vaults/{id}"), &[], Vec::new())
        .expect_error(404, "VaultNotExists");
}

#[test]
fn list_vaults_pages() {
    let (_emu, c) = start(Config {
        max_vaults: 25,
        ..Default::default()
    });
    let mut ids: Vec<String> = (0..23)
        .map(|i| c.create_vault(&format!("vault-{i:02}")))
        .collect();
    ids.sort();
    // Default page (cap 10), following Marker.
    let mut seen = Vec::new();
    let mut marker = String::new();
    let mut pages = 0;
    loop {
        let t = if marker.is_empty() {
            "/vaults".to_string()
        } else {
            format!("/vaults?marker={marker}")
        };
        let j = c.get(&t).json();
        let list = j["VaultList"].as_array().unwrap();
        assert!(list.len() <= 10);
        for v in list {
            seen.push(v["VaultId"].as_str().unwrap().to_string());
            for k in [
                "CreationDate",
                "LastInventoryDate",
                "NumberOfArchives",
                "SizeInBytes",
                "VaultName",
            ] {
                assert!(v.get(k).is_some(), "{k}");
            }
        }
        pages += 1;
        marker = j["Marker"]
            .as_str()
            .expect("Marker is a string")
            .to_string();
        if marker.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    // limit above the cap is clamped; small limits page; bare marker works.
    assert_eq!(
        c.get("/vaults?limit=1000").json()["VaultList"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let j = c.get("/vaults?marker&limit=4").json();
    assert_eq!(j["VaultList"].as_array().unwrap().len(), 4);
    assert_eq!(j["Marker"], ids[4].as_str());
    let j = c.get(&format!("/vaults?limit=5&marker={}", ids[20])).json();
    assert_eq!(j["VaultList"].as_array().unwrap().len(), 3);
    assert_eq!(j["Marker"], "");
    c.get("/vaults?limit=abc")
        .expect_error(400, "ParameterIllegal");
    c.get("/vaults?limit=0")
        .expect_error(400, "ParameterIllegal");
    c.get("/vaults?marker=FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")
        .expect_error(400, "InvalidArgument");
}

#[test]
fn archive_upload_meta_delete() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("arch");
    let data = pattern(3 * MIB + 7);
    let r = c.upload(&v, &data, "backup-2014-03-25.tar");
    assert_eq!(r.status, 201);
    let a = r.header("x-oas-archive-id").unwrap();
    assert_eq!(
        r.header("location").unwrap(),
        format!("/vaults/{v}/archives/{a}")
    );
    let m = c.get(&format!("/vaults/{v}/archives/{a}/meta"));
    assert_eq!(m.status, 200);
    let j = m.json();
    assert_eq!(j["ArchiveSizeInBytes"], data.len() as u64);
    assert_eq!(j["ArchiveTreeEtag"], "B59AC4ECD5AC0EDB26BE3A940D142F11");
    assert_eq!(j["ArchiveId"], a.as_str());
    assert_eq!(j["ArchiveDescription"], "backup-2014-03-25.tar");
    assert!(httpdate::parse_http_date(j["CreationDate"].as_str().unwrap()).is_ok());
    c.get(&format!("/vaults/{v}/archives/NOPE/meta"))
        .expect_error(404, "ArchiveNotExists");
    c.send(
        "DELETE",
        &format!("/vaults/{v}/archives/NOPE"),
        &[],
        Vec::new(),
    )
    .expect_error(404, "ArchiveNotExists");
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/vaults/{v}/archives/{a}"),
            &[],
            Vec::new()
        )
        .status,
        204
    );
    c.get(&format!("/vaults/{v}/archives/{a}/meta"))
        .expect_error(404, "ArchiveNotExists");
    c.upload("NOVAULT", &data, "")
        .expect_error(404, "VaultNotExists");
}

#[test]
fn archive_upload_errors() {
    let (emu, c) = start(Config::default());
    let v = c.create_vault("errs");
    let data = pattern(2 * MIB + 5);
    let d = oas_digest::digest::compute(&data);
    let up = |etag: &str, tree: &str| {
        c.send(
            "POST",
            &format!("/vaults/{v}/archives"),
            &[
                ("x-oas-content-etag", etag.to_string()),
                ("x-oas-tree-etag", tree.to_string()),
            ],
            data.clone(),
        )
    };
    assert_eq!(
        up(&d.etag.to_lowercase(), &d.tree_etag.to_lowercase()).status,
        201
    );
    up(&d.tree_etag, &d.tree_etag).expect_error(400, "InvalidDigest");
    up(&d.etag, &d.etag).expect_error(400, "InvalidDigest");
    c.send(
        "POST",
        &format!("/vaults/{v}/archives"),
        &[("x-oas-content-etag", d.etag.clone())],
        data.clone(),
    )
    .expect_error(400, "MissingArgument");
    c.send(
        "POST",
        &format!("/vaults/{v}/archives"),
        &[
            (
                "x-oas-content-etag",
                "D41D8CD98F00B204E9800998ECF8427E".into(),
            ),
            ("x-oas-tree-etag", String::new()),
        ],
        Vec::new(),
    )
    .expect_error(400, "InvalidArgument");
    // Too long description.
    let r = c.send(
        "POST",
        &format!("/vaults/{v}/archives"),
        &[
            ("x-oas-content-etag", d.etag.clone()),
            ("x-oas-tree-etag", d.tree_etag.clone()),
            ("x-oas-archive-description", "d".repeat(129)),
        ],
        data.clone(),
    );
    r.expect_error(400, "InvalidArgument");
    // No Content-Length (chunked): 411.
    let date = c.date();
    let target = format!("/vaults/{v}/archives");
    let hs = vec![
        ("x-oas-content-etag".to_string(), "00".to_string()),
        ("x-oas-tree-etag".to_string(), "00".to_string()),
    ];
    let auth = c.authorization("POST", &date, &hs, &target);
    let req = format!(
        "POST {target} HTTP/1.1\r\nHost: x\r\nDate: {date}\r\nAuthorization: {auth}\r\nx-oas-content-etag: 00\r\nx-oas-tree-etag: 00\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    );
    let reply = raw(&emu.base_url(), req.as_bytes());
    assert!(reply.starts_with("HTTP/1.1 411"), "{reply}");
    assert!(reply.contains("MissingContentLength"), "{reply}");
    // Only the one good archive exists.
    assert_eq!(c.get(&format!("/vaults/{v}")).json()["NumberOfArchives"], 1);
}

#[test]
fn utf8_description_is_signed_as_raw_bytes() {
    let (emu, c) = start(Config::default());
    let v = c.create_vault("utf8");
    let data = pattern(4096);
    let d = oas_digest::digest::compute(&data);
    let desc = "备份-2014 é";
    let target = format!("/vaults/{v}/archives");
    let hs = vec![
        ("x-oas-content-etag".to_string(), d.etag.clone()),
        ("x-oas-tree-etag".to_string(), d.tree_etag.clone()),
        ("x-oas-archive-description".to_string(), desc.to_string()),
    ];
    let date = c.date();
    let auth = c.authorization("POST", &date, &hs, &target);
    let mut req = format!(
        "POST {target} HTTP/1.1\r\nHost: x\r\nDate: {date}\r\nAuthorization: {auth}\r\nx-oas-content-etag: {}\r\nx-oas-tree-etag: {}\r\nx-oas-archive-description: {desc}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        d.etag,
        d.tree_etag,
        data.len()
    )
    .into_bytes();
    req.extend_from_slice(&data);
    let reply = raw(&emu.base_url(), &req);
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    let id = reply
        .lines()
        .find_map(|l| l.strip_prefix("x-oas-archive-id: "))
        .unwrap()
        .trim()
        .to_string();
    let m = c.get(&format!("/vaults/{v}/archives/{id}/meta")).json();
    assert_eq!(m["ArchiveDescription"], desc);
}
