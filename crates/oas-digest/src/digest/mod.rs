//! OAS digests (protocol spec §3): the content etag and the tree etag.
//!
//! * content etag: MD5 of the whole payload, 32 upper-case hex characters;
//! * tree etag: MD5 of each 1 MiB leaf as upper-case hex, adjacent pairs combined
//!   as the MD5 of the 64-byte ASCII concatenation of the two hex strings, an odd
//!   last node carried up unchanged; an empty payload has the empty tree etag.
//!
//! [`Hasher`] computes both from one pass over the data, in chunks of any size.
//! Large updates use two cores: the content MD5 streams on one while the
//! leaves are hashed in parallel on the other(s).

/// The streaming MD5 behind every digest here (faster than the md-5 crate,
/// see README "Benchmark"); public so the emulator verifies with the same core.
pub use crate::md5core::Md5;
use crate::md5multi::{md5_many, Backend};
use rayon::prelude::*;

mod file;
pub use file::{
    digest_file_range, digest_path, digest_ranges_at, digest_reader, digest_reader_at, stream_len,
    tree_etag_at, FileDigestError, Want,
};

/// Size of a tree-etag leaf: 1 MiB.
pub const LEAF_SIZE: u64 = 1 << 20;
const LEAF: usize = LEAF_SIZE as usize;

/// Updates at least this large are split across threads.
const PARALLEL_MIN: usize = 2 * LEAF;

/// Read buffer for streams ([`digest_reader`]).
const READ_BUF: usize = 16 * LEAF;

/// Read buffer of the content MD5 stream over a file: small enough to stay in
/// the CPU cache between the copy from the page cache and the hashing.
const CONTENT_BUF: usize = 32 * 1024;

/// Read buffer per lane of the multi-buffer leaf hashing over a file: all
/// lanes' buffers together stay in the CPU cache.
const LANE_BUF: usize = 16 * 1024;

/// Both digests of one payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Digests {
    /// Content etag: MD5 of the payload, upper-case hex.
    pub etag: String,
    /// Tree etag (§3.2), upper-case hex; empty for an empty payload.
    pub tree_etag: String,
}

/// A 32-character upper-case hex MD5 value, kept inline to avoid allocations.
pub type Hex = [u8; 32];

fn upper_hex(digest: &[u8]) -> Hex {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = [0u8; 32];
    for (i, b) in digest.iter().take(16).enumerate() {
        out[2 * i] = DIGITS[(b >> 4) as usize];
        out[2 * i + 1] = DIGITS[(b & 15) as usize];
    }
    out
}

fn hex_string(h: &Hex) -> String {
    // Always ASCII hex digits, so this cannot fail.
    String::from_utf8_lossy(h).into_owned()
}

/// Upper-case hex MD5 of `data`.
pub fn md5_hex(data: &[u8]) -> Hex {
    upper_hex(&Md5::digest(data))
}

/// Content etag of a buffer.
pub fn content_etag(data: &[u8]) -> String {
    hex_string(&md5_hex(data))
}

/// Tree etag of a buffer (leaves hashed in parallel).
pub fn tree_etag(data: &[u8]) -> String {
    combine_nodes(leaf_hexes(data))
        .map(|h| hex_string(&h))
        .unwrap_or_default()
}

/// Upper-case hex MD5 of every 1 MiB leaf of `data` (the last one possibly
/// shorter): the leaves are hashed together in SIMD lanes (`md5multi`), in
/// groups of the back end's lane count spread over the rayon pool.
fn leaf_hexes(data: &[u8]) -> Vec<Hex> {
    let group = Backend::detect().lanes() * LEAF;
    let hash_group = |g: &[u8]| -> Vec<Hex> {
        let leaves: Vec<&[u8]> = g.chunks(LEAF).collect();
        md5_many(&leaves).iter().map(|d| upper_hex(d)).collect()
    };
    if data.len() > group {
        let groups: Vec<Vec<Hex>> = data.par_chunks(group).map(hash_group).collect();
        groups.concat()
    } else {
        hash_group(data)
    }
}

/// Both digests of a buffer.
pub fn compute(data: &[u8]) -> Digests {
    let mut h = Hasher::new();
    h.update(data);
    h.finish()
}

/// Combines tree nodes level by level (§3.2 step 3–4). `None` for no nodes.
fn combine_nodes(mut level: Vec<Hex>) -> Option<Hex> {
    if level.is_empty() {
        return None;
    }
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            if pair.len() == 2 {
                let mut m = Md5::new();
                m.update(pair[0]);
                m.update(pair[1]);
                next.push(upper_hex(&m.finalize()));
            } else {
                next.push(pair[0]);
            }
        }
        level = next;
    }
    level.pop()
}

/// Error from [`combine_tree_etags`]: an element is not 32 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tree etag #{index} ({value:?}) is not 32 hexadecimal characters")]
pub struct BadTreeEtag {
    /// Position of the offending element.
    pub index: usize,
    /// The offending value.
    pub value: String,
}

/// Parses a tree etag as sent on the wire: 32 hex digits (either case), optionally
/// followed by `-<partsize>` (the manual's Complete example, §3.3). Returns the
/// upper-case 32-character form.
pub fn parse_tree_etag(value: &str) -> Option<Hex> {
    let core = value.split_once('-').map_or(value, |(a, _)| a);
    let bytes = core.as_bytes();
    if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = b.to_ascii_uppercase();
    }
    Some(out)
}

/// Combines the tree etags of consecutive parts, in ascending range order, into
/// the tree etag of the whole (§3.3). An empty list gives the empty string.
pub fn combine_tree_etags<S: AsRef<str>>(etags: &[S]) -> Result<String, BadTreeEtag> {
    let mut nodes = Vec::with_capacity(etags.len());
    for (index, e) in etags.iter().enumerate() {
        let e = e.as_ref();
        match parse_tree_etag(e) {
            Some(h) if !e.contains('-') => nodes.push(h),
            _ => {
                return Err(BadTreeEtag {
                    index,
                    value: e.to_string(),
                })
            }
        }
    }
    Ok(combine_nodes(nodes)
        .map(|h| hex_string(&h))
        .unwrap_or_default())
}

/// True when the inclusive byte range `start..=end` of a payload of `total` bytes is
/// exactly one node of its tree (§3.4), so that its tree etag is a node value.
pub fn is_tree_aligned(start: u64, end: u64, total: u64) -> bool {
    if start >= total || end < start || end >= total || start % LEAF_SIZE != 0 {
        return false;
    }
    let end_excl = end + 1;
    let mut node = LEAF_SIZE;
    loop {
        if start % node != 0 {
            return false;
        }
        let node_end = start.saturating_add(node).min(total);
        if end_excl == node_end {
            return true;
        }
        if node_end == total || end_excl < node_end {
            return false;
        }
        match node.checked_mul(2) {
            Some(n) => node = n,
            None => return false,
        }
    }
}

/// Streaming computation of both digests. Feed data with [`Hasher::update`] in any
/// chunk sizes, then call [`Hasher::finish`].
#[derive(Clone)]
pub struct Hasher {
    content: Md5,
    leaf: Md5,
    leaf_len: usize,
    leaves: Vec<Hex>,
    total: u64,
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("total", &self.total)
            .finish()
    }
}

impl Hasher {
    /// A hasher with no data.
    pub fn new() -> Self {
        Hasher {
            content: Md5::new(),
            leaf: Md5::new(),
            leaf_len: 0,
            leaves: Vec::new(),
            total: 0,
        }
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True when no bytes were fed.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.total += data.len() as u64;
        if data.len() < PARALLEL_MIN {
            self.content.update(data);
            self.update_leaves(data);
            return;
        }
        // Large chunk: the content MD5 runs on one thread while the leaves are
        // hashed in parallel on the others.
        let Hasher {
            content,
            leaf,
            leaf_len,
            leaves,
            ..
        } = self;
        rayon::join(
            || content.update(data),
            || Self::leaves_of(leaf, leaf_len, leaves, data),
        );
    }

    fn update_leaves(&mut self, data: &[u8]) {
        Self::leaves_of(&mut self.leaf, &mut self.leaf_len, &mut self.leaves, data);
    }

    fn leaves_of(leaf: &mut Md5, leaf_len: &mut usize, leaves: &mut Vec<Hex>, mut data: &[u8]) {
        // Complete the pending partial leaf first.
        if *leaf_len > 0 {
            let take = (LEAF - *leaf_len).min(data.len());
            leaf.update(&data[..take]);
            *leaf_len += take;
            data = &data[take..];
            if *leaf_len == LEAF {
                leaves.push(upper_hex(&leaf.finalize_reset()));
                *leaf_len = 0;
            }
        }
        let whole = data.len() / LEAF * LEAF;
        let (full, rest) = data.split_at(whole);
        if !full.is_empty() {
            leaves.extend(leaf_hexes(full));
        }
        if !rest.is_empty() {
            leaf.update(rest);
            *leaf_len = rest.len();
        }
    }

    /// Finishes and returns both digests.
    pub fn finish(self) -> Digests {
        let (etag, leaves) = self.finish_leaves();
        let tree = combine_nodes(leaves)
            .map(|h| hex_string(&h))
            .unwrap_or_default();
        Digests {
            etag,
            tree_etag: tree,
        }
    }

    /// Finishes and returns the content etag and the MD5 of every 1 MiB leaf
    /// (the last one possibly shorter), for callers that keep the leaves to
    /// answer tree etags of sub-ranges later (the emulator does).
    pub fn finish_leaves(mut self) -> (String, Vec<Hex>) {
        if self.leaf_len > 0 {
            self.leaves.push(upper_hex(&self.leaf.finalize_reset()));
        }
        (
            hex_string(&upper_hex(&self.content.finalize())),
            self.leaves,
        )
    }
}

/// Streaming computation of the tree etag alone (no content MD5), for
/// downloads where only the tree etag can be checked. Feed any chunk sizes.
#[derive(Clone, Default)]
pub struct TreeHasher {
    leaf: Md5,
    leaf_len: usize,
    leaves: Vec<Hex>,
    total: u64,
}

impl std::fmt::Debug for TreeHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeHasher")
            .field("total", &self.total)
            .finish()
    }
}

impl TreeHasher {
    /// A hasher with no data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True when no bytes were fed.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        Hasher::leaves_of(&mut self.leaf, &mut self.leaf_len, &mut self.leaves, data);
    }

    /// Finishes and returns the tree etag (empty for no data).
    pub fn finish(mut self) -> String {
        if self.leaf_len > 0 {
            self.leaves.push(upper_hex(&self.leaf.finalize_reset()));
        }
        combine_nodes(self.leaves)
            .map(|h| hex_string(&h))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn small_vectors() {
        assert_eq!(compute(&[]).etag, "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(compute(&[]).tree_etag, "");
        let d = compute(&pattern(3 * LEAF + 7));
        assert_eq!(d.etag, "62A22CB245A4CFDB1A8A8BA579B2F38A");
        assert_eq!(d.tree_etag, "B59AC4ECD5AC0EDB26BE3A940D142F11");
        assert_eq!(tree_etag(&pattern(3 * LEAF + 7)), d.tree_etag);
    }

    #[test]
    fn tree_hasher_matches_any_chunking() {
        let data = pattern(3 * LEAF + 7);
        for chunk in [1usize << 10, 333_333, LEAF, 3 * LEAF] {
            let mut h = TreeHasher::new();
            for c in data.chunks(chunk) {
                h.update(c);
            }
            assert_eq!(h.len(), data.len() as u64);
            assert_eq!(h.finish(), "B59AC4ECD5AC0EDB26BE3A940D142F11");
        }
        assert_eq!(TreeHasher::new().finish(), "");
    }

    #[test]
    fn alignment() {
        let mib = LEAF_SIZE;
        let total = 5 * mib + 3;
        assert!(is_tree_aligned(0, mib - 1, total));
        assert!(is_tree_aligned(0, 2 * mib - 1, total));
        assert!(is_tree_aligned(0, 4 * mib - 1, total));
        assert!(!is_tree_aligned(0, 3 * mib - 1, total));
        assert!(is_tree_aligned(4 * mib, total - 1, total));
        assert!(is_tree_aligned(5 * mib, total - 1, total));
        assert!(!is_tree_aligned(mib, 3 * mib - 1, total));
        assert!(is_tree_aligned(2 * mib, 4 * mib - 1, total));
        assert!(is_tree_aligned(0, total - 1, total));
        assert!(!is_tree_aligned(0, total, total));
        assert!(!is_tree_aligned(1, mib - 1, total));
    }

    #[test]
    fn parse_suffix_form() {
        let h = parse_tree_etag("af8b6ed0a292020016639954c558629f-67108864").unwrap();
        assert_eq!(&h, b"AF8B6ED0A292020016639954C558629F");
        assert!(parse_tree_etag("xyz").is_none());
    }
}
