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
mod x86;

#[cfg(test)]
mod tests;
