//! Byte ranges and part sizing (the SDK's `utils` range helpers and the
//! Uploader's part-size rule, protocol spec §7).
//!
//! All ranges are inclusive `(start, end)` pairs, as in the Python SDK.

use crate::digest::LEAF_SIZE;

/// One MiB.
pub const MIB: u64 = LEAF_SIZE;
/// Smallest and default part size of the SDK's Uploader: 64 MiB.
pub const DEFAULT_PART_SIZE: u64 = 64 * MIB;
/// Largest part the service accepts: 4 GiB.
pub const MAX_PART_SIZE: u64 = 4 << 30;
/// Most parts in one multipart upload.
pub const MAX_PARTS: u64 = 10_000;
/// Largest multipart archive: 40 000 GiB.
pub const MAX_ARCHIVE_SIZE: u64 = 40_000 << 30;

/// An inclusive byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// A range; `None` when `end < start`.
    pub fn new(start: u64, end: u64) -> Option<Self> {
        (end >= start).then_some(ByteRange { start, end })
    }

    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        range_size(self.start, self.end)
    }

    /// Never true: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `S-E` form used by `Content-Range` on parts and by `RetrievalByteRange`.
    pub fn to_header(&self) -> String {
        format!("{}-{}", self.start, self.end)
    }

    /// Parses `S-E` (also accepting a leading `bytes ` or `bytes=` and a trailing
    /// `/total` or `/*`). Returns the range and the total when one was given.
    /// `None` as well when the range ends at or past its total, or spans all
    /// 2^64 offsets (its length would not fit a `u64`).
    pub fn parse(s: &str) -> Option<(ByteRange, Option<u64>)> {
        let s = s.trim();
        let s = s
            .strip_prefix("bytes=")
            .or_else(|| s.strip_prefix("bytes "))
            .unwrap_or(s)
            .trim();
        let (range, total) = match s.split_once('/') {
            Some((r, "*")) => (r, None),
            Some((r, t)) => (r, Some(t.trim().parse::<u64>().ok()?)),
            None => (s, None),
        };
        let (a, b) = range.split_once('-')?;
        let start = parse_dec(a)?;
        let end = parse_dec(b)?;
        if (start, end) == (0, u64::MAX) || total.is_some_and(|t| end >= t) {
            return None;
        }
        Some((ByteRange::new(start, end)?, total))
    }
}

fn parse_dec(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Errors of the range and part-size helpers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// A part size of zero.
    #[error("part size must be greater than zero")]
    ZeroPartSize,
    /// The archive is too large or too small for a multipart upload.
    #[error("archive size {size} is outside the multipart range ({min} to {max} bytes)")]
    ArchiveSize {
        /// Requested size.
        size: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
}

/// Size of the inclusive range `start..=end`; 0 when `end < start`. The one
/// range whose size does not fit, `0..=u64::MAX` (2^64 bytes), saturates at
/// `u64::MAX` rather than overflowing (a panic in debug builds, 0 in release).
pub fn range_size(start: u64, end: u64) -> u64 {
    if end < start {
        0
    } else {
        (end - start).saturating_add(1)
    }
}

/// Number of parts of `part_size` bytes needed for `total` bytes.
pub fn calc_num_part(part_size: u64, total: u64) -> Result<u64, RangeError> {
    if part_size == 0 {
        return Err(RangeError::ZeroPartSize);
    }
    Ok(total.div_ceil(part_size))
}

/// The consecutive inclusive ranges of `part_size` bytes covering `total` bytes
/// (the last one may be shorter). Empty for `total == 0`.
pub fn calc_ranges(part_size: u64, total: u64) -> Result<Vec<ByteRange>, RangeError> {
    Ok(iter_ranges(part_size, total)?.collect())
}

/// Like [`calc_ranges`] but lazy, so that a caller can learn the count
/// (`len()`) before anything is allocated (a part size of 1 byte over a huge
/// total would otherwise exhaust memory).
pub fn iter_ranges(
    part_size: u64,
    total: u64,
) -> Result<impl ExactSizeIterator<Item = ByteRange>, RangeError> {
    let n = calc_num_part(part_size, total)?;
    // `n` parts of `part_size` cover `total`, so `i * part_size < total` for
    // every `i < n` and nothing overflows. usize is 64 bits on supported targets.
    Ok((0..n as usize).map(move |i| {
        let start = i as u64 * part_size;
        ByteRange {
            start,
            end: start.saturating_add(part_size).min(total) - 1,
        }
    }))
}

/// Part size for a multipart upload of `total` bytes, with the rules of the
/// SDK's `Uploader.calc_part_size` (spec §7): `total` must be within
/// 64 MiB..=40 000 GiB; a requested size that is absent (0), not a multiple of
/// 1 MiB, below 64 MiB or larger than the archive (`total`) becomes 64 MiB, and
/// so does one above 4 GiB, the largest part the service takes; if that gives
/// more than 10 000 parts, the smallest power-of-two number of MiB that keeps
/// the count within 10 000 is used.
pub fn calc_part_size(total: u64, requested: u64) -> Result<u64, RangeError> {
    if !(DEFAULT_PART_SIZE..=MAX_ARCHIVE_SIZE).contains(&total) {
        return Err(RangeError::ArchiveSize {
            size: total,
            min: DEFAULT_PART_SIZE,
            max: MAX_ARCHIVE_SIZE,
        });
    }
    let mut part = requested;
    if part % MIB != 0 || !(DEFAULT_PART_SIZE..=MAX_PART_SIZE.min(total)).contains(&part) {
        part = DEFAULT_PART_SIZE;
    }
    if total.div_ceil(part) > MAX_PARTS {
        let mib = total.div_ceil(MAX_PARTS).div_ceil(MIB);
        part = mib.next_power_of_two() * MIB;
    }
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(range_size(0, 0), 1);
        assert_eq!(range_size(5, 4), 0);
        assert_eq!(range_size(0, u64::MAX), u64::MAX);
        assert_eq!(range_size(1, u64::MAX), u64::MAX);
        assert_eq!(range_size(u64::MAX, u64::MAX), 1);
        assert_eq!(calc_num_part(10, 25).unwrap(), 3);
        assert_eq!(calc_num_part(10, 0).unwrap(), 0);
        assert!(calc_num_part(0, 5).is_err());
        let r = calc_ranges(10, 25).unwrap();
        assert_eq!(
            r,
            vec![
                ByteRange { start: 0, end: 9 },
                ByteRange { start: 10, end: 19 },
                ByteRange { start: 20, end: 24 }
            ]
        );
    }

    #[test]
    fn part_size_rules() {
        assert!(calc_part_size(MIB, 0).is_err());
        assert_eq!(calc_part_size(100 * MIB, 0).unwrap(), 64 * MIB);
        // Larger than the archive: the SDK falls back to 64 MiB (issue 10, defect 8).
        assert_eq!(calc_part_size(100 * MIB, 128 * MIB).unwrap(), 64 * MIB);
        assert_eq!(calc_part_size(100 * MIB, 101 * MIB).unwrap(), 64 * MIB);
        assert_eq!(calc_part_size(100 * MIB, 100 * MIB).unwrap(), 100 * MIB);
        assert_eq!(calc_part_size(256 * MIB, 128 * MIB).unwrap(), 128 * MIB);
        assert_eq!(calc_part_size(16 << 30, 8 << 30).unwrap(), 64 * MIB);
        assert_eq!(calc_part_size(100 * MIB, 3).unwrap(), 64 * MIB);
        assert_eq!(calc_part_size(100 * MIB, 32 * MIB).unwrap(), 64 * MIB);
        // 1 TiB / 10000 = 104.9 MiB -> 128 MiB
        assert_eq!(calc_part_size(1 << 40, 0).unwrap(), 128 * MIB);
        assert!(calc_part_size(MAX_ARCHIVE_SIZE + 1, 0).is_err());
        let p = calc_part_size(MAX_ARCHIVE_SIZE, 0).unwrap();
        assert!(calc_num_part(p, MAX_ARCHIVE_SIZE).unwrap() <= MAX_PARTS);
    }

    #[test]
    fn parse_ranges() {
        let (r, t) = ByteRange::parse("bytes=0-1048575/8388608").unwrap();
        assert_eq!((r.start, r.end, t), (0, 1048575, Some(8388608)));
        assert_eq!(ByteRange::parse("5-9").unwrap().0.len(), 5);
        assert!(ByteRange::parse("9-5").is_none());
        assert!(ByteRange::parse("-5").is_none());
        assert!(ByteRange::parse("a-5").is_none());
        assert!(ByteRange::parse("bytes 1-2/*").is_some());
    }

    #[test]
    fn parse_rejects_what_it_cannot_represent() {
        // Found while writing the fuzz target `ranges`: 2^64 bytes have no
        // u64 length, and len() overflowed (a panic in debug builds).
        assert!(ByteRange::parse("0-18446744073709551615").is_none());
        let (r, _) = ByteRange::parse("1-18446744073709551615").unwrap();
        assert_eq!(r.len(), u64::MAX);
        // A range ending at or past its own total is not a range of it (the
        // fuzz target `ranges` found `bytes 0-8388673808/8608` in seconds).
        assert!(ByteRange::parse("bytes 0-99/50").is_none());
        assert!(ByteRange::parse("bytes 0-99/99").is_none());
        assert!(ByteRange::parse("bytes 0-99/100").is_some());
    }
}
