//! A parsed view of a downloaded inventory (spec §4.4, "Inventory output
//! JSON"): `{"VaultId": …, "InventoryDate": …, "ArchiveList": [ {…}, … ]}`.
//!
//! The archive list of a large vault can be far bigger than memory should
//! hold, so it is never loaded whole: [`Inventory::open`] scans the top-level
//! object once for the vault id, the date and where the list starts, and
//! [`Inventory::archives`] then reads the list one entry at a time. Memory
//! is bounded by one entry (at most [`MAX_ENTRY_SIZE`] bytes of JSON).

use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer};
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Largest JSON text accepted for one archive entry or top-level string.
pub const MAX_ENTRY_SIZE: usize = 1 << 20;

fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One entry of the inventory's `ArchiveList`. The names of the last three
/// fields are not confirmed by the manual (§4.4); the archive-descriptor
/// spellings `ArchiveSizeInBytes` and `ArchiveTreeEtag` are accepted too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InventoryArchive {
    /// `ArchiveId`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_id: String,
    /// `ArchiveDescription`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_description: String,
    /// `CreationDate` (RFC 1123).
    #[serde(default, deserialize_with = "null_default")]
    pub creation_date: String,
    /// `Size` in bytes.
    #[serde(
        default,
        deserialize_with = "null_default",
        alias = "ArchiveSizeInBytes"
    )]
    pub size: u64,
    /// `TreeEtag` of the archive.
    #[serde(default, deserialize_with = "null_default", alias = "ArchiveTreeEtag")]
    pub tree_etag: String,
}

/// A downloaded inventory file.
#[derive(Debug, Clone)]
pub struct Inventory {
    path: PathBuf,
    vault_id: String,
    inventory_date: String,
    /// Byte offset of the `[` opening `ArchiveList`; `None` when absent or null.
    list_offset: Option<u64>,
}

impl Inventory {
    /// Opens an inventory file and reads its top-level fields (stopping early
    /// once all three were seen).
    pub fn open(path: &Path) -> Result<Inventory> {
        let file = File::open(path)
            .map_err(|e| Error::io(format!("opening inventory {}", path.display()), e))?;
        let mut s = Scanner::new(BufReader::new(file), path);
        let mut inv = Inventory {
            path: path.to_path_buf(),
            vault_id: String::new(),
            inventory_date: String::new(),
            list_offset: None,
        };
        let (mut seen_vault, mut seen_date, mut seen_list) = (false, false, false);
        s.skip_ws()?;
        s.expect(b'{')?;
        loop {
            s.skip_ws()?;
            if s.peek()? == Some(b'}') {
                break;
            }
            let key: String = s.parse_value()?;
            s.skip_ws()?;
            s.expect(b':')?;
            s.skip_ws()?;
            match key.as_str() {
                "VaultId" => {
                    inv.vault_id = s.parse_value::<Option<String>>()?.unwrap_or_default();
                    seen_vault = true;
                }
                "InventoryDate" => {
                    inv.inventory_date = s.parse_value::<Option<String>>()?.unwrap_or_default();
                    seen_date = true;
                }
                "ArchiveList" => {
                    if s.peek()? == Some(b'[') {
                        inv.list_offset = Some(s.pos);
                    }
                    seen_list = true;
                    if seen_vault && seen_date {
                        break;
                    }
                    s.value(None)?;
                }
                _ => s.value(None)?,
            }
            if seen_vault && seen_date && seen_list {
                break;
            }
            s.skip_ws()?;
            match s.peek()? {
                Some(b',') => s.bump(),
                Some(b'}') => break,
                _ => return Err(s.error("expected ',' or '}' after a member")),
            }
        }
        Ok(inv)
    }

    /// `VaultId`.
    pub fn vault_id(&self) -> &str {
        &self.vault_id
    }

    /// `InventoryDate` (RFC 1123).
    pub fn inventory_date(&self) -> &str {
        &self.inventory_date
    }

    /// The file this inventory was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Iterates over `ArchiveList`, reading the file one entry at a time. A
    /// malformed entry yields one `Err` and ends the iteration.
    pub fn archives(&self) -> Result<InventoryArchives> {
        let Some(offset) = self.list_offset else {
            return Ok(InventoryArchives {
                scanner: None,
                state: ListState::Done,
            });
        };
        let mut file = File::open(&self.path)
            .map_err(|e| Error::io(format!("opening inventory {}", self.path.display()), e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(format!("reading inventory {}", self.path.display()), e))?;
        let mut s = Scanner::new(BufReader::new(file), &self.path);
        s.pos = offset;
        s.expect(b'[')?;
        Ok(InventoryArchives {
            scanner: Some(s),
            state: ListState::First,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListState {
    First,
    Next,
    Done,
}

/// Iterator over the archives of an [`Inventory`].
pub struct InventoryArchives {
    scanner: Option<Scanner<BufReader<File>>>,
    state: ListState,
}

impl std::fmt::Debug for InventoryArchives {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InventoryArchives")
            .field("state", &self.state)
            .finish()
    }
}

impl InventoryArchives {
    fn step(&mut self) -> Result<Option<InventoryArchive>> {
        let Some(s) = self.scanner.as_mut() else {
            return Ok(None);
        };
        s.skip_ws()?;
        match (self.state, s.peek()?) {
            (ListState::Done, _) => return Ok(None),
            (_, Some(b']')) => {
                s.bump();
                self.state = ListState::Done;
                return Ok(None);
            }
            (ListState::First, _) => {}
            (ListState::Next, Some(b',')) => {
                s.bump();
                s.skip_ws()?;
            }
            (ListState::Next, _) => return Err(s.error("expected ',' or ']' in ArchiveList")),
        }
        self.state = ListState::Next;
        s.parse_value().map(Some)
    }
}

impl Iterator for InventoryArchives {
    type Item = Result<InventoryArchive>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(v) => v.map(Ok),
            Err(e) => {
                self.state = ListState::Done;
                self.scanner = None;
                Some(Err(e))
            }
        }
    }
}

/// A minimal incremental JSON scanner over a buffered reader: it finds the
/// extent of one value at a time (strings with escapes, nested containers,
/// scalars) and hands its text to serde_json, never reading past it.
struct Scanner<R> {
    r: R,
    pos: u64,
    path: PathBuf,
}

impl<R: BufRead> Scanner<R> {
    fn new(r: R, path: &Path) -> Self {
        Scanner {
            r,
            pos: 0,
            path: path.to_path_buf(),
        }
    }

    fn error(&self, what: &str) -> Error {
        Error::Protocol(format!(
            "inventory {} is malformed at byte {}: {what}",
            self.path.display(),
            self.pos
        ))
    }

    fn peek(&mut self) -> Result<Option<u8>> {
        let buf = self
            .r
            .fill_buf()
            .map_err(|e| Error::io(format!("reading inventory {}", self.path.display()), e))?;
        Ok(buf.first().copied())
    }

    fn bump(&mut self) {
        self.r.consume(1);
        self.pos += 1;
    }

    fn next_byte(&mut self) -> Result<u8> {
        let b = self
            .peek()?
            .ok_or_else(|| self.error("unexpected end of file"))?;
        self.bump();
        Ok(b)
    }

    fn skip_ws(&mut self) -> Result<()> {
        while let Some(b) = self.peek()? {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.bump();
        }
        Ok(())
    }

    fn expect(&mut self, want: u8) -> Result<()> {
        match self.peek()? {
            Some(b) if b == want => {
                self.bump();
                Ok(())
            }
            _ => Err(self.error(&format!("expected '{}'", want as char))),
        }
    }

    fn push(&self, out: &mut Option<&mut Vec<u8>>, b: u8) -> Result<()> {
        if let Some(v) = out {
            if v.len() >= MAX_ENTRY_SIZE {
                return Err(self.error("value larger than 1 MiB"));
            }
            v.push(b);
        }
        Ok(())
    }

    /// Moves over one value, copying its text into `out` when given.
    fn value(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<()> {
        let first = self
            .peek()?
            .ok_or_else(|| self.error("unexpected end of file"))?;
        if !matches!(first, b'"' | b'{' | b'[') {
            // A scalar runs to the next delimiter, which stays unread.
            while let Some(b) = self.peek()? {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                self.push(&mut out, b)?;
                self.bump();
            }
            return Ok(());
        }
        let mut depth = 0usize;
        let mut in_string = false;
        loop {
            let b = self.next_byte()?;
            self.push(&mut out, b)?;
            if in_string {
                match b {
                    b'\\' => {
                        let e = self.next_byte()?;
                        self.push(&mut out, e)?;
                    }
                    b'"' => {
                        in_string = false;
                        if depth == 0 {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or_else(|| self.error("unbalanced brackets"))?;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// Reads one value and deserializes it.
    fn parse_value<T: serde::de::DeserializeOwned>(&mut self) -> Result<T> {
        let start = self.pos;
        let mut text = Vec::new();
        self.value(Some(&mut text))?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::Protocol(format!(
                "inventory {} is malformed at byte {start}: {e}",
                self.path.display()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn reads_fields_and_entries_in_any_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let entries = r#"[ {"ArchiveId":"a1","ArchiveDescription":"q\"uo}te]","CreationDate":"Mon, 01 Jan 2024 00:00:00 GMT","Size":5,"TreeEtag":"T1"},
            {"ArchiveId":"a2","ArchiveDescription":null,"Size":1048577,"TreeEtag":"T2","Extra":{"x":[1,2]}} ]"#;
        for text in [
            format!(r#"{{"VaultId":"V","InventoryDate":"D","ArchiveList":{entries}}}"#),
            format!(
                r#"{{ "ArchiveList" : {entries} , "Other": 12.5e3, "InventoryDate":"D","VaultId":"V"}}"#
            ),
        ] {
            let p = write(dir.path(), "inv.json", &text);
            let inv = Inventory::open(&p).unwrap();
            assert_eq!((inv.vault_id(), inv.inventory_date()), ("V", "D"));
            let all: Vec<InventoryArchive> = inv.archives().unwrap().map(Result::unwrap).collect();
            assert_eq!(all.len(), 2);
            assert_eq!(all[0].archive_description, "q\"uo}te]");
            assert_eq!(all[0].size, 5);
            assert_eq!(all[1].archive_id, "a2");
            assert_eq!(all[1].archive_description, "");
            assert_eq!(all[1].size, 1048577);
            assert_eq!(all[1].tree_etag, "T2");
        }
    }

    #[test]
    fn empty_and_missing_lists() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.json", r#"{"VaultId":"V","ArchiveList":[]}"#);
        assert_eq!(Inventory::open(&p).unwrap().archives().unwrap().count(), 0);
        let p = write(
            dir.path(),
            "b.json",
            r#"{"VaultId":"V","ArchiveList":null}"#,
        );
        assert_eq!(Inventory::open(&p).unwrap().archives().unwrap().count(), 0);
    }

    #[test]
    fn malformed_input_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c.json",
            r#"{"VaultId":"V","ArchiveList":[{"ArchiveId":"a"} {"ArchiveId":"b"}]}"#,
        );
        let inv = Inventory::open(&p).unwrap();
        let items: Vec<_> = inv.archives().unwrap().collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
        let p = write(dir.path(), "d.json", r#"["not an object"]"#);
        assert!(Inventory::open(&p).is_err());
        // With all top-level fields before the list, open stops early and the
        // truncation surfaces while iterating; otherwise open finds it.
        let p = write(
            dir.path(),
            "f.json",
            r#"{"VaultId":"V","ArchiveList":[{"ArchiveId":"#,
        );
        assert!(Inventory::open(&p).is_err());
        let p = write(
            dir.path(),
            "e.json",
            r#"{"VaultId":"V","InventoryDate":"D","ArchiveList":[{"ArchiveId":"#,
        );
        let items: Vec<_> = Inventory::open(&p).unwrap().archives().unwrap().collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }

    #[test]
    fn large_lists_stream() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        write!(f, r#"{{"VaultId":"V","InventoryDate":"D","ArchiveList":["#).unwrap();
        let n = 50_000;
        for i in 0..n {
            if i > 0 {
                write!(f, ",").unwrap();
            }
            write!(
                f,
                r#"{{"ArchiveId":"id{i}","ArchiveDescription":"d","Size":{i},"TreeEtag":"E"}}"#
            )
            .unwrap();
        }
        write!(f, "]}}").unwrap();
        drop(f);
        let inv = Inventory::open(&p).unwrap();
        let mut count = 0u64;
        let mut sum = 0u64;
        for a in inv.archives().unwrap() {
            let a = a.unwrap();
            sum += a.size;
            count += 1;
        }
        assert_eq!(count, n);
        assert_eq!(sum, n * (n - 1) / 2);
    }
}
