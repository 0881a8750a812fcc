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
