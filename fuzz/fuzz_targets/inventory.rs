//! Inventory JSON through the streaming parser (`Inventory::open` and the
//! archive iterator), checked against serde_json reading the whole document:
//! whenever serde_json accepts it, the streaming parser must give the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oas::inventory::InventoryArchive;
use oas::Inventory;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Whole {
    vault_id: Option<String>,
    inventory_date: Option<String>,
    archive_list: Option<Vec<InventoryArchive>>,
}

fn scratch() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("oas-fuzz-inventory-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
    .join("inventory.json")
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(&path, data).unwrap();
    let streamed = Inventory::open(&path).map(|inv| {
        let list: Vec<_> = match inv.archives() {
            Ok(it) => it.take(10_000).collect(),
            Err(e) => vec![Err(e)],
        };
        (
            inv.vault_id().to_string(),
            inv.inventory_date().to_string(),
            list,
        )
    });
    let Ok(whole) = serde_json::from_slice::<Whole>(data) else {
        return;
    };
    let (vault, date, list) = streamed.expect("serde_json accepts what the scanner rejected");
    assert_eq!(vault, whole.vault_id.unwrap_or_default());
    assert_eq!(date, whole.inventory_date.unwrap_or_default());
    let list: Vec<InventoryArchive> = list
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("an entry serde_json accepts is accepted");
    assert_eq!(list, whole.archive_list.unwrap_or_default());
});
