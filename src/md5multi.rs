//! Multi-buffer MD5: many independent messages hashed at once, one message
//! per SIMD lane (for the 1 MiB leaves of the tree etag).
//!
//! One MD5 stream is a chain of 64 dependent steps per block and cannot be
//! vectorised, but N independent streams can: lane `j` of every 32-bit vector
//! holds stream `j`'s value, so one vector instruction advances N streams by
//! the same step. Per 64-byte block, the 16 message words of each lane are
//! loaded and transposed (lane-major rows to word-major vectors). Two sets of
//! vectors are interleaved so that each step's dependency chain of one set
//! overlaps with the other's (the x8x2 / x16x2 layout of Intel's multi-buffer
//! papers).
//!
//! Back ends, chosen at run time ([`Backend::detect`]):
//! * AVX-512F: 16 lanes per vector, 32 with two sets; `vpternlogd` computes
//!   each round function in one instruction and `vprold` rotates;
//! * AVX2: 8 lanes per vector, 16 with two sets; rotations are two shifts and
//!   an or;
//! * scalar: the single-stream core of `md5core`, also the reference.
//!
//! Lanes of a batch may have different lengths: the kernels run for the
//! number of blocks every active lane still has, then finished lanes drop out
//! (their slots replay another lane's data, the results are discarded), and
//! a nearly empty batch finishes on the scalar core.
//!
//! `OAS_MD5_BACKEND=scalar|avx2|avx512` in the environment (read once)
//! restricts what [`Backend::detect`] returns, for benchmarks and tests.

use crate::md5core;
use std::sync::OnceLock;

/// An implementation of the lane kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One stream at a time (the `md5core` core).
    Scalar,
    /// AVX2: 8 lanes per vector.
    Avx2,
    /// AVX-512F: 16 lanes per vector.
    Avx512,
}

impl Backend {
    /// Every back end, slowest first.
    pub const ALL: [Backend; 3] = [Backend::Scalar, Backend::Avx2, Backend::Avx512];

    /// True when this CPU can run the back end.
    pub fn available(self) -> bool {
        match self {
            Backend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => std::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest available back end, limited by `OAS_MD5_BACKEND` when set
    /// (an unknown or unavailable value there is ignored).
    pub fn detect() -> Backend {
        static CHOSEN: OnceLock<Backend> = OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let best = Backend::ALL
                .into_iter()
                .rev()
                .find(|b| b.available())
                .unwrap_or(Backend::Scalar);
            match std::env::var("OAS_MD5_BACKEND").ok().as_deref() {
                Some("scalar") => Backend::Scalar,
                Some("avx2") if Backend::Avx2.available() => Backend::Avx2,
                Some("avx512") if Backend::Avx512.available() => Backend::Avx512,
                _ => best,
            }
        })
    }

    /// Streams one kernel call advances at most (1 for scalar): the batch
    /// size at which the back end reaches its full speed.
    pub fn lanes(self) -> usize {
        kernels(self).last().map_or(1, |k| k.lanes)
    }

    /// Name as accepted by `OAS_MD5_BACKEND`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
        }
    }
}

/// Most lanes of any kernel.
const MAX_LANES: usize = 32;

/// Batches with fewer active lanes than this finish on the scalar core.
const MIN_SIMD_LANES: usize = 2;

/// A kernel: advances `state.len() == lanes` streams by `blocks` 64-byte
/// blocks read from `ptrs[j]` onwards.
type KernelFn = unsafe fn(state: &mut [[u32; 4]], ptrs: &[*const u8], blocks: usize);

struct Kernel {
    lanes: usize,
    run: KernelFn,
}

/// The kernels of a back end, fewest lanes first.
fn kernels(backend: Backend) -> &'static [Kernel] {
    match backend {
        Backend::Scalar => &[],
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => &[
            Kernel {
                lanes: 8,
                run: x86::avx2_x8,
            },
            Kernel {
                lanes: 16,
                run: x86::avx2_x16,
            },
        ],
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => &[
            Kernel {
                lanes: 16,
                run: x86::avx512_x16,
            },
            Kernel {
                lanes: 32,
                run: x86::avx512_x32,
            },
        ],
        #[cfg(not(target_arch = "x86_64"))]
        _ => &[],
    }
}

/// Advances every `states[i]` over `data[i]`, whose length must be a multiple
/// of 64 (lengths may differ between lanes).
fn compress_lanes(backend: Backend, states: &mut [[u32; 4]], data: &[&[u8]]) {
    assert_eq!(states.len(), data.len(), "one data slice per lane");
    assert!(
        data.iter().all(|d| d.len() % 64 == 0),
        "lane data must be whole blocks"
    );
    // An unavailable back end must never reach its kernels.
    let backend = if backend.available() {
        backend
    } else {
        Backend::Scalar
    };
    let ks = kernels(backend);
    let width = ks.last().map_or(1, |k| k.lanes);
    for (st, d) in states.chunks_mut(width).zip(data.chunks(width)) {
        compress_group(ks, st, d);
    }
}

/// One batch of at most the widest kernel's lanes.
fn compress_group(ks: &[Kernel], states: &mut [[u32; 4]], data: &[&[u8]]) {
    let mut done = [0usize; MAX_LANES];
    loop {
        let mut active = [0usize; MAX_LANES];
        let mut n_active = 0;
        let mut blocks = usize::MAX;
        for (i, d) in data.iter().enumerate() {
            let left = d.len() - done[i];
            if left > 0 {
                active[n_active] = i;
                n_active += 1;
                blocks = blocks.min(left / 64);
            }
        }
        let active = &active[..n_active];
        let kernel = ks.iter().find(|k| k.lanes >= n_active);
        let kernel = match kernel {
            Some(k) if n_active >= MIN_SIMD_LANES => k,
            _ => {
                for &i in active {
                    md5core::compress_blocks(&mut states[i], &data[i][done[i]..]);
                }
                return;
            }
        };
        // Unused slots replay the first active lane (read-only, discarded).
        let mut ptrs = [data[active[0]][done[active[0]]..].as_ptr(); MAX_LANES];
        let mut st = [states[active[0]]; MAX_LANES];
        for (slot, &i) in active.iter().enumerate() {
            ptrs[slot] = data[i][done[i]..].as_ptr();
            st[slot] = states[i];
        }
        // SAFETY: the kernel's CPU features were checked (`compress_lanes`
        // only selects available back ends), and every pointer has at least
        // `blocks * 64` readable bytes: `blocks` is the minimum over the
        // active lanes, and unused slots repeat an active lane's pointer.
        unsafe { (kernel.run)(&mut st[..kernel.lanes], &ptrs[..kernel.lanes], blocks) };
        for (slot, &i) in active.iter().enumerate() {
            states[i] = st[slot];
            done[i] += blocks * 64;
        }
    }
}

/// Streaming MD5 of several independent messages (lanes) at once. Each
/// [`Md5Lanes::update`] gives every lane its next bytes (any lengths, also
/// different ones); whole blocks go through the SIMD kernels together.
#[derive(Clone)]
pub struct Md5Lanes {
    backend: Backend,
    state: Vec<[u32; 4]>,
    buf: Vec<[u8; 64]>,
    buf_len: Vec<usize>,
    total: Vec<u64>,
}

impl std::fmt::Debug for Md5Lanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Md5Lanes")
            .field("backend", &self.backend)
            .field("lanes", &self.state.len())
            .finish()
    }
}

impl Md5Lanes {
    /// `lanes` empty messages, hashed with [`Backend::detect`].
    pub fn new(lanes: usize) -> Self {
        Self::with_backend(Backend::detect(), lanes)
    }

    /// `lanes` empty messages hashed with `backend` (the scalar core when the
    /// CPU cannot run it).
    pub fn with_backend(backend: Backend, lanes: usize) -> Self {
        Md5Lanes {
            backend,
            state: vec![md5core::INIT; lanes],
            buf: vec![[0; 64]; lanes],
            buf_len: vec![0; lanes],
            total: vec![0; lanes],
        }
    }

    /// Number of lanes.
    pub fn lanes(&self) -> usize {
        self.state.len()
    }

    /// Appends `data[i]` to lane `i`; `data.len()` must equal [`Self::lanes`].
    pub fn update(&mut self, data: &[&[u8]]) {
        assert_eq!(data.len(), self.lanes(), "one slice per lane");
        let n = data.len();
        // 1. Top up partial blocks; the ones that fill go first.
        let mut taken = vec![0usize; n];
        let mut pre_full = vec![false; n];
        for i in 0..n {
            self.total[i] = self.total[i].wrapping_add(data[i].len() as u64);
            let have = self.buf_len[i];
            if have > 0 {
                let take = (64 - have).min(data[i].len());
                self.buf[i][have..have + take].copy_from_slice(&data[i][..take]);
                self.buf_len[i] += take;
                taken[i] = take;
                pre_full[i] = self.buf_len[i] == 64;
            }
        }
        if pre_full.iter().any(|&f| f) {
            let pre: Vec<&[u8]> = (0..n)
                .map(|i| {
                    if pre_full[i] {
                        &self.buf[i][..]
                    } else {
                        &[][..]
                    }
                })
                .collect();
            compress_lanes(self.backend, &mut self.state, &pre);
            for (len, &full) in self.buf_len.iter_mut().zip(&pre_full) {
                if full {
                    *len = 0;
                }
            }
        }
        // 2. Whole blocks of what is left, all lanes together.
        let bodies: Vec<&[u8]> = (0..n)
            .map(|i| {
                let rest = &data[i][taken[i]..];
                &rest[..rest.len() & !63]
            })
            .collect();
        compress_lanes(self.backend, &mut self.state, &bodies);
        // 3. Keep the tails (a lane with a partial block took everything).
        for i in 0..n {
            let rest = &data[i][taken[i] + bodies[i].len()..];
            if !rest.is_empty() {
                self.buf[i][..rest.len()].copy_from_slice(rest);
                self.buf_len[i] = rest.len();
            }
        }
    }

    /// The digests of all lanes, in lane order.
    pub fn finalize(mut self) -> Vec<[u8; 16]> {
        let n = self.lanes();
        let mut tails = vec![[0u8; 128]; n];
        let mut sizes = vec![0usize; n];
        for i in 0..n {
            let len = self.buf_len[i];
            tails[i][..len].copy_from_slice(&self.buf[i][..len]);
            tails[i][len] = 0x80;
            let size = if len < 56 { 64 } else { 128 };
            let bits = self.total[i].wrapping_mul(8);
            tails[i][size - 8..size].copy_from_slice(&bits.to_le_bytes());
            sizes[i] = size;
        }
        let slices: Vec<&[u8]> = tails.iter().zip(&sizes).map(|(t, &s)| &t[..s]).collect();
        compress_lanes(self.backend, &mut self.state, &slices);
        self.state
            .iter()
            .map(|s| {
                let mut out = [0u8; 16];
                for (o, v) in out.chunks_exact_mut(4).zip(s) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
                out
            })
            .collect()
    }
}

/// MD5 of every message, hashed together (lengths may differ).
pub fn md5_many(msgs: &[&[u8]]) -> Vec<[u8; 16]> {
    md5_many_with(Backend::detect(), msgs)
}

/// [`md5_many`] with a chosen back end (the scalar core when the CPU cannot
/// run it).
pub fn md5_many_with(backend: Backend, msgs: &[&[u8]]) -> Vec<[u8; 16]> {
    let mut lanes = Md5Lanes::with_backend(backend, msgs.len());
    lanes.update(msgs);
    lanes.finalize()
}

// The AVX-512 intrinsics are stable since Rust 1.89, newer than the
// workspace's declared rust-version (1.80): building this module needs 1.89
// (see README "Multi-buffer MD5"; raising rust-version is left to the lead
// because it enables lints elsewhere).
#[cfg(target_arch = "x86_64")]
#[clippy::msrv = "1.89"]
mod x86 {
    //! The SIMD kernels: one generic round function over a lane-vector type.
    use super::md5core::K;
    use std::arch::x86_64::*;

    /// A vector of 32-bit lanes and the operations MD5 needs.
    trait Lanes: Copy {
        const N: usize;
        /// Vector of lanes `ptrs[0..N]`' message words `w`, for all 16 `w`,
        /// from the block at byte offset `off`.
        unsafe fn load(ptrs: &[*const u8], off: usize) -> [Self; 16];
        unsafe fn splat(x: u32) -> Self;
        unsafe fn gather(v: &[u32]) -> Self;
        unsafe fn scatter(self, out: &mut [u32]);
        unsafe fn add(a: Self, b: Self) -> Self;
        unsafe fn rotl<const L: i32, const R: i32>(a: Self) -> Self;
        unsafe fn f(b: Self, c: Self, d: Self) -> Self;
        unsafe fn g(b: Self, c: Self, d: Self) -> Self;
        unsafe fn h(b: Self, c: Self, d: Self) -> Self;
        unsafe fn i(b: Self, c: Self, d: Self) -> Self;
    }

    #[derive(Clone, Copy)]
    struct Y(__m256i);

    impl Lanes for Y {
        const N: usize = 8;
        #[inline(always)]
        unsafe fn load(ptrs: &[*const u8], off: usize) -> [Y; 16] {
            let mut out = [Y(_mm256_setzero_si256()); 16];
            for half in 0..2 {
                let mut r = [_mm256_setzero_si256(); 8];
                for (j, row) in r.iter_mut().enumerate() {
                    *row = _mm256_loadu_si256(ptrs[j].add(off + 32 * half) as *const __m256i);
                }
                let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
                let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
                let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
                let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
                let t4 = _mm256_unpacklo_epi32(r[4], r[5]);
                let t5 = _mm256_unpackhi_epi32(r[4], r[5]);
                let t6 = _mm256_unpacklo_epi32(r[6], r[7]);
                let t7 = _mm256_unpackhi_epi32(r[6], r[7]);
                let u0 = _mm256_unpacklo_epi64(t0, t2);
                let u1 = _mm256_unpackhi_epi64(t0, t2);
                let u2 = _mm256_unpacklo_epi64(t1, t3);
                let u3 = _mm256_unpackhi_epi64(t1, t3);
                let u4 = _mm256_unpacklo_epi64(t4, t6);
                let u5 = _mm256_unpackhi_epi64(t4, t6);
                let u6 = _mm256_unpacklo_epi64(t5, t7);
                let u7 = _mm256_unpackhi_epi64(t5, t7);
                let o = &mut out[8 * half..8 * half + 8];
                o[0] = Y(_mm256_permute2x128_si256::<0x20>(u0, u4));
                o[1] = Y(_mm256_permute2x128_si256::<0x20>(u1, u5));
                o[2] = Y(_mm256_permute2x128_si256::<0x20>(u2, u6));
                o[3] = Y(_mm256_permute2x128_si256::<0x20>(u3, u7));
                o[4] = Y(_mm256_permute2x128_si256::<0x31>(u0, u4));
                o[5] = Y(_mm256_permute2x128_si256::<0x31>(u1, u5));
                o[6] = Y(_mm256_permute2x128_si256::<0x31>(u2, u6));
                o[7] = Y(_mm256_permute2x128_si256::<0x31>(u3, u7));
            }
            out
        }
        #[inline(always)]
        unsafe fn splat(x: u32) -> Y {
            Y(_mm256_set1_epi32(x as i32))
        }
        #[inline(always)]
        unsafe fn gather(v: &[u32]) -> Y {
            Y(_mm256_loadu_si256(v.as_ptr() as *const __m256i))
        }
        #[inline(always)]
        unsafe fn scatter(self, out: &mut [u32]) {
            _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, self.0)
        }
        #[inline(always)]
        unsafe fn add(a: Y, b: Y) -> Y {
            Y(_mm256_add_epi32(a.0, b.0))
        }
        #[inline(always)]
        unsafe fn rotl<const L: i32, const R: i32>(a: Y) -> Y {
            Y(_mm256_or_si256(
                _mm256_slli_epi32::<L>(a.0),
                _mm256_srli_epi32::<R>(a.0),
            ))
        }
        #[inline(always)]
        unsafe fn f(b: Y, c: Y, d: Y) -> Y {
            Y(_mm256_xor_si256(
                d.0,
                _mm256_and_si256(b.0, _mm256_xor_si256(c.0, d.0)),
            ))
        }
        #[inline(always)]
        unsafe fn g(b: Y, c: Y, d: Y) -> Y {
            // (b & d) | (c & !d): the halves never share a bit, so `|` = `^`.
            Y(_mm256_xor_si256(
                _mm256_andnot_si256(d.0, c.0),
                _mm256_and_si256(b.0, d.0),
            ))
        }
        #[inline(always)]
        unsafe fn h(b: Y, c: Y, d: Y) -> Y {
            Y(_mm256_xor_si256(b.0, _mm256_xor_si256(c.0, d.0)))
        }
        #[inline(always)]
        unsafe fn i(b: Y, c: Y, d: Y) -> Y {
            let not_d = _mm256_xor_si256(d.0, _mm256_set1_epi32(-1));
            Y(_mm256_xor_si256(c.0, _mm256_or_si256(b.0, not_d)))
        }
    }

    #[derive(Clone, Copy)]
    struct Z(__m512i);

    impl Lanes for Z {
        const N: usize = 16;
        #[inline(always)]
        unsafe fn load(ptrs: &[*const u8], off: usize) -> [Z; 16] {
            let mut r = [_mm512_setzero_si512(); 16];
            for (j, row) in r.iter_mut().enumerate() {
                *row = _mm512_loadu_si512(ptrs[j].add(off) as *const __m512i);
            }
            // 16x16 transpose of 32-bit words: pairs, quads, then 128-bit
            // chunks twice.
            let mut t = [_mm512_setzero_si512(); 16];
            for p in 0..8 {
                t[2 * p] = _mm512_unpacklo_epi32(r[2 * p], r[2 * p + 1]);
                t[2 * p + 1] = _mm512_unpackhi_epi32(r[2 * p], r[2 * p + 1]);
            }
            let mut u = [_mm512_setzero_si512(); 16];
            for q in 0..4 {
                u[4 * q] = _mm512_unpacklo_epi64(t[4 * q], t[4 * q + 2]);
                u[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q], t[4 * q + 2]);
                u[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
                u[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
            }
            // u[4q + m], 128-bit chunk c: word 4c + m of rows 4q..4q+3.
            let mut out = [Z(_mm512_setzero_si512()); 16];
            for m in 0..4 {
                let v0 = _mm512_shuffle_i32x4::<0x88>(u[m], u[4 + m]);
                let v1 = _mm512_shuffle_i32x4::<0xdd>(u[m], u[4 + m]);
                let v2 = _mm512_shuffle_i32x4::<0x88>(u[8 + m], u[12 + m]);
                let v3 = _mm512_shuffle_i32x4::<0xdd>(u[8 + m], u[12 + m]);
                out[m] = Z(_mm512_shuffle_i32x4::<0x88>(v0, v2));
                out[4 + m] = Z(_mm512_shuffle_i32x4::<0x88>(v1, v3));
                out[8 + m] = Z(_mm512_shuffle_i32x4::<0xdd>(v0, v2));
                out[12 + m] = Z(_mm512_shuffle_i32x4::<0xdd>(v1, v3));
            }
            out
        }
        #[inline(always)]
        unsafe fn splat(x: u32) -> Z {
            Z(_mm512_set1_epi32(x as i32))
        }
        #[inline(always)]
        unsafe fn gather(v: &[u32]) -> Z {
            Z(_mm512_loadu_si512(v.as_ptr() as *const __m512i))
        }
        #[inline(always)]
        unsafe fn scatter(self, out: &mut [u32]) {
            _mm512_storeu_si512(out.as_mut_ptr() as *mut __m512i, self.0)
        }
        #[inline(always)]
        unsafe fn add(a: Z, b: Z) -> Z {
            Z(_mm512_add_epi32(a.0, b.0))
        }
        #[inline(always)]
        unsafe fn rotl<const L: i32, const R: i32>(a: Z) -> Z {
            Z(_mm512_rol_epi32::<L>(a.0))
        }
        // Truth tables over (b, c, d) = (0xf0, 0xcc, 0xaa).
        #[inline(always)]
        unsafe fn f(b: Z, c: Z, d: Z) -> Z {
            Z(_mm512_ternarylogic_epi32::<0xca>(b.0, c.0, d.0))
        }
        #[inline(always)]
        unsafe fn g(b: Z, c: Z, d: Z) -> Z {
            Z(_mm512_ternarylogic_epi32::<0xe4>(b.0, c.0, d.0))
        }
        #[inline(always)]
        unsafe fn h(b: Z, c: Z, d: Z) -> Z {
            Z(_mm512_ternarylogic_epi32::<0x96>(b.0, c.0, d.0))
        }
        #[inline(always)]
        unsafe fn i(b: Z, c: Z, d: Z) -> Z {
            Z(_mm512_ternarylogic_epi32::<0x39>(b.0, c.0, d.0))
        }
    }

    /// Message word order of each round.
    const ORDER: [[usize; 16]; 4] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [1, 6, 11, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12],
        [5, 8, 11, 14, 1, 4, 7, 10, 13, 0, 3, 6, 9, 12, 15, 2],
        [0, 7, 14, 5, 12, 3, 10, 1, 8, 15, 6, 13, 4, 11, 2, 9],
    ];

    /// One step on every set: `a = b + rotl(a + (m + k) + f(b, c, d), s)`.
    macro_rules! step {
        ($V:ty, $f:ident, $s:ident, $set:ident, $m:ident, $round:expr, $j:expr,
         $a:expr, $b:expr, $c:expr, $d:expr, $l:expr, $r:expr) => {
            for k in 0..$set {
                let x = &mut $s[k];
                let mk = <$V>::add($m[k][ORDER[$round][$j]], <$V>::splat(K[16 * $round + $j]));
                let t = <$V>::add(<$V>::add(x[$a], mk), <$V>::$f(x[$b], x[$c], x[$d]));
                x[$a] = <$V>::add(x[$b], <$V>::rotl::<$l, $r>(t));
            }
        };
    }

    /// Four steps of one round (message index `$j..$j + 4`).
    macro_rules! quad {
        ($V:ty, $f:ident, $s:ident, $set:ident, $m:ident, $round:expr, $j:expr,
         [$s0:expr, $s1:expr, $s2:expr, $s3:expr]) => {
            step!($V, $f, $s, $set, $m, $round, $j, 0, 1, 2, 3, $s0, {
                32 - $s0
            });
            step!($V, $f, $s, $set, $m, $round, $j + 1, 3, 0, 1, 2, $s1, {
                32 - $s1
            });
            step!($V, $f, $s, $set, $m, $round, $j + 2, 2, 3, 0, 1, $s2, {
                32 - $s2
            });
            step!($V, $f, $s, $set, $m, $round, $j + 3, 1, 2, 3, 0, $s3, {
                32 - $s3
            });
        };
    }

    /// Sixteen steps of one round.
    macro_rules! round {
        ($V:ty, $f:ident, $s:ident, $set:ident, $m:ident, $round:expr, $sh:tt) => {
            quad!($V, $f, $s, $set, $m, $round, 0, $sh);
            quad!($V, $f, $s, $set, $m, $round, 4, $sh);
            quad!($V, $f, $s, $set, $m, $round, 8, $sh);
            quad!($V, $f, $s, $set, $m, $round, 12, $sh);
        };
    }

    /// The kernel for `SETS` interleaved vectors of `V::N` lanes each.
    #[inline(always)]
    unsafe fn run<V: Lanes, const SETS: usize>(
        state: &mut [[u32; 4]],
        ptrs: &[*const u8],
        blocks: usize,
    ) {
        debug_assert_eq!(state.len(), V::N * SETS);
        debug_assert_eq!(ptrs.len(), V::N * SETS);
        // Transpose the state into word-major vectors.
        let mut s = [[V::splat(0); 4]; SETS];
        let mut lanes = [0u32; 16];
        for (k, set) in s.iter_mut().enumerate() {
            for (w, v) in set.iter_mut().enumerate() {
                for j in 0..V::N {
                    lanes[j] = state[k * V::N + j][w];
                }
                *v = V::gather(&lanes[..V::N]);
            }
        }
        for blk in 0..blocks {
            let off = blk * 64;
            let mut m = [[V::splat(0); 16]; SETS];
            for (k, mk) in m.iter_mut().enumerate() {
                *mk = V::load(&ptrs[k * V::N..(k + 1) * V::N], off);
            }
            let saved = s;
            round!(V, f, s, SETS, m, 0, [7, 12, 17, 22]);
            round!(V, g, s, SETS, m, 1, [5, 9, 14, 20]);
            round!(V, h, s, SETS, m, 2, [4, 11, 16, 23]);
            round!(V, i, s, SETS, m, 3, [6, 10, 15, 21]);
            for k in 0..SETS {
                for w in 0..4 {
                    s[k][w] = V::add(s[k][w], saved[k][w]);
                }
            }
        }
        for (k, set) in s.iter().enumerate() {
            for (w, v) in set.iter().enumerate() {
                v.scatter(&mut lanes[..V::N]);
                for j in 0..V::N {
                    state[k * V::N + j][w] = lanes[j];
                }
            }
        }
    }

    /// # Safety
    /// AVX2 must be available; `state` and `ptrs` have 8 entries, each
    /// pointer `blocks * 64` readable bytes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn avx2_x8(state: &mut [[u32; 4]], ptrs: &[*const u8], blocks: usize) {
        run::<Y, 1>(state, ptrs, blocks)
    }

    /// # Safety
    /// As [`avx2_x8`], with 16 lanes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn avx2_x16(state: &mut [[u32; 4]], ptrs: &[*const u8], blocks: usize) {
        run::<Y, 2>(state, ptrs, blocks)
    }

    /// # Safety
    /// AVX-512F must be available; 16 lanes, as [`avx2_x8`].
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512_x16(state: &mut [[u32; 4]], ptrs: &[*const u8], blocks: usize) {
        run::<Z, 1>(state, ptrs, blocks)
    }

    /// # Safety
    /// As [`avx512_x16`], with 32 lanes.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512_x32(state: &mut [[u32; 4]], ptrs: &[*const u8], blocks: usize) {
        run::<Z, 2>(state, ptrs, blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::Digest;
    use proptest::prelude::*;

    /// The back ends this CPU runs (the scalar core always); printed so a
    /// test log shows which SIMD paths were exercised.
    fn backends() -> Vec<Backend> {
        let all: Vec<Backend> = Backend::ALL.into_iter().filter(|b| b.available()).collect();
        eprintln!("md5multi back ends tested: {all:?}");
        all
    }

    fn data(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    }

    /// Every lane against both the scalar core and the md-5 crate.
    fn check(backend: Backend, msgs: &[&[u8]], got: &[[u8; 16]]) -> Result<(), TestCaseError> {
        prop_assert_eq!(got.len(), msgs.len());
        for (i, (m, g)) in msgs.iter().zip(got).enumerate() {
            let scalar = md5core::Md5::digest(m);
            let crate_md5: [u8; 16] = md5::Md5::digest(m).into();
            prop_assert_eq!(scalar, crate_md5);
            prop_assert_eq!(
                g,
                &scalar,
                "{:?}: lane {} of {}, {} bytes",
                backend,
                i,
                msgs.len(),
                m.len()
            );
        }
        Ok(())
    }

    /// Padding edges (55/56 bytes: one or two tail blocks; 63/64/65: whole
    /// blocks) mixed across lanes, for every lane count up to past two full
    /// batches of the widest kernel.
    #[test]
    fn block_edges_in_mixed_lanes() {
        const EDGES: [usize; 17] = [
            0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 200, 1000,
        ];
        let src = data(7, 1000);
        for backend in backends() {
            for lanes in 1..=2 * MAX_LANES + 3 {
                for shift in [0, 5] {
                    let msgs: Vec<&[u8]> = (0..lanes)
                        .map(|i| &src[..EDGES[(i + shift) % EDGES.len()]])
                        .collect();
                    check(backend, &msgs, &md5_many_with(backend, &msgs)).unwrap();
                }
            }
            // All lanes of one length, the tree-leaf case.
            for len in EDGES {
                let msgs = vec![&src[..len]; 16];
                check(backend, &msgs, &md5_many_with(backend, &msgs)).unwrap();
            }
        }
    }

    /// Whole 1 MiB leaves with a short last one, as the tree etag hashes them.
    #[test]
    fn leaves_with_a_short_last_one() {
        let src = data(11, 17 * 4096 + 100);
        for backend in backends() {
            let msgs: Vec<&[u8]> = src.chunks(4096).collect();
            check(backend, &msgs, &md5_many_with(backend, &msgs)).unwrap();
        }
    }

    #[test]
    fn detect_and_names() {
        let b = Backend::detect();
        assert!(b.available());
        assert!(b.lanes() >= 1);
        assert_eq!(Backend::Scalar.lanes(), 1);
        for b in Backend::ALL {
            assert!(["scalar", "avx2", "avx512"].contains(&b.name()));
        }
        assert!(md5_many(&[]).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Random lane counts and lengths, one call.
        #[test]
        fn random_lanes_match_references(
            seed in any::<u64>(),
            lens in prop::collection::vec(prop_oneof![0usize..130, 0usize..700], 1..40),
        ) {
            let src = data(seed, 700);
            let msgs: Vec<&[u8]> = lens.iter().map(|&l| &src[..l]).collect();
            for backend in Backend::ALL.into_iter().filter(|b| b.available()) {
                check(backend, &msgs, &md5_many_with(backend, &msgs))?;
            }
        }

        /// Streaming: each update gives every lane a piece of its own length
        /// (often not whole blocks, sometimes nothing).
        #[test]
        fn streaming_pieces_match_one_shot(
            seed in any::<u64>(),
            lanes in 1usize..36,
            steps in prop::collection::vec(prop::collection::vec(0usize..150, 36), 1..6),
        ) {
            let src = data(seed, 6 * 150);
            for backend in Backend::ALL.into_iter().filter(|b| b.available()) {
                let mut h = Md5Lanes::with_backend(backend, lanes);
                let mut fed = vec![0usize; lanes];
                for step in &steps {
                    let pieces: Vec<&[u8]> = (0..lanes)
                        .map(|i| &src[fed[i]..fed[i] + step[i]])
                        .collect();
                    h.update(&pieces);
                    for i in 0..lanes {
                        fed[i] += step[i];
                    }
                }
                let msgs: Vec<&[u8]> = fed.iter().map(|&n| &src[..n]).collect();
                check(backend, &msgs, &h.finalize())?;
            }
        }
    }
}
