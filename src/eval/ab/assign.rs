//! Deterministic, seeded assignment of customers to experiment arms.

use std::collections::HashMap;

use crate::error::{Error, Result, ensure};

/// Assigns customers to arms by a keyed hash of their id, so every service that
/// knows the seed puts a customer in the same arm, on every platform and release.
///
/// The hash is SipHash-2-4 (Aumasson & Bernstein 2012) implemented here, keyed by
/// (seed, seed XOR 0x9E37_79B9_7F4A_7C15) — not `std`'s `DefaultHasher`, whose
/// algorithm may change. Its top 53 bits give a uniform draw u in [0, 1) that
/// picks the arm whose cumulative weight share first exceeds u.
///
/// Strata (risk tiers) may have their own weights; within a stratum the draws are
/// independent, so arms are balanced in expectation in every stratum. The draw
/// depends on the customer id only, so a customer who moves between strata with
/// the same weights keeps their arm.
///
/// ```
/// use churnguard::eval::ab::Assigner;
///
/// let assigner = Assigner::new(2024, &[("control", 1.0), ("coupon", 1.0)])?
///     .with_stratum_weights("low", &[9.0, 1.0])?; // low-risk tier: 10 % get the coupon
/// let arm = assigner.assign("customer-42", "high");
/// assert!(arm == "control" || arm == "coupon");
/// assert_eq!(assigner.assign("customer-42", "high"), arm); // same answer every time
/// # Ok::<(), churnguard::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Assigner {
    keys: (u64, u64),
    names: Vec<String>,
    /// Cumulative weight shares of the default weights; the last is exactly 1.
    default_cumulative: Vec<f64>,
    strata: HashMap<String, Vec<f64>>,
}

impl Assigner {
    /// An assigner over named arms with relative weights, e.g.
    /// `[("control", 1.0), ("treatment", 1.0)]` for a 50/50 split.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for fewer than 2 arms, an empty or repeated arm
    /// name, or a weight that is not positive and finite.
    pub fn new(seed: u64, arms: &[(&str, f64)]) -> Result<Self> {
        ensure!(arms.len() >= 2, Error::param("arms", arms.len(), "need at least 2 arms"));
        let mut names: Vec<String> = Vec::with_capacity(arms.len());
        for &(name, _) in arms {
            ensure!(!name.is_empty(), Error::param("arms", "\"\"", "arm names must not be empty"));
            ensure!(!names.iter().any(|n| n == name), Error::param("arms", name, "arm names must be unique"));
            names.push(name.to_string());
        }
        let weights: Vec<f64> = arms.iter().map(|&(_, w)| w).collect();
        let default_cumulative = cumulative_shares(&weights)?;
        Ok(Assigner { keys: (seed, seed ^ 0x9E37_79B9_7F4A_7C15), names, default_cumulative, strata: HashMap::new() })
    }

    /// Gives stratum `stratum` its own arm weights (in the order of the arms).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `weights` does not have one entry per arm;
    /// [`Error::InvalidParameter`] for a weight that is not positive and finite.
    pub fn with_stratum_weights(mut self, stratum: &str, weights: &[f64]) -> Result<Self> {
        ensure!(
            weights.len() == self.names.len(),
            Error::ShapeMismatch { what: "stratum weights vs arms", expected: self.names.len(), found: weights.len() }
        );
        self.strata.insert(stratum.to_string(), cumulative_shares(weights)?);
        Ok(self)
    }

    /// Arm names, in the order given.
    pub fn arms(&self) -> &[String] {
        &self.names
    }

    /// The arm of `customer_id` in `stratum` (strata without their own weights use the defaults).
    pub fn assign(&self, customer_id: &str, stratum: &str) -> &str {
        let index = self.assign_index(customer_id, stratum);
        self.names.get(index).map_or("", String::as_str)
    }

    /// Index into [`arms`](Self::arms) of the arm of `customer_id` in `stratum`.
    pub fn assign_index(&self, customer_id: &str, stratum: &str) -> usize {
        let cumulative = self.strata.get(stratum).unwrap_or(&self.default_cumulative);
        let u = self.draw(customer_id);
        cumulative.iter().position(|&c| u < c).unwrap_or(cumulative.len().saturating_sub(1))
    }

    /// The uniform draw in [0, 1) of a customer: top 53 bits of the keyed hash.
    pub fn draw(&self, customer_id: &str) -> f64 {
        (siphash24(self.keys.0, self.keys.1, customer_id.as_bytes()) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Cumulative shares of positive weights, the last forced to exactly 1.
fn cumulative_shares(weights: &[f64]) -> Result<Vec<f64>> {
    for &w in weights {
        ensure!(w.is_finite() && w > 0.0, Error::param("weight", w, "arm weights must be positive and finite"));
    }
    let total: f64 = weights.iter().sum();
    let mut running = 0.0;
    let mut out: Vec<f64> = weights
        .iter()
        .map(|w| {
            running += w;
            running / total
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    Ok(out)
}

/// SipHash-2-4 of `data` under key (k0, k1) (Aumasson & Bernstein 2012, "SipHash: a fast
/// short-input PRF", §2; key bytes are k0 then k1, little-endian).
pub(crate) fn siphash24(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let m = u64::from_le_bytes(word);
        v[3] ^= m;
        sip_round(&mut v);
        sip_round(&mut v);
        v[0] ^= m;
    }
    let mut last = [0u8; 8];
    for (slot, &byte) in last.iter_mut().zip(chunks.remainder()) {
        *slot = byte;
    }
    let b = u64::from_le_bytes(last) | ((data.len() as u64 & 0xff) << 56);
    v[3] ^= b;
    sip_round(&mut v);
    sip_round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..4 {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

fn sip_round(v: &mut [u64; 4]) {
    let [mut v0, mut v1, mut v2, mut v3] = *v;
    v0 = v0.wrapping_add(v1);
    v1 = v1.rotate_left(13) ^ v0;
    v0 = v0.rotate_left(32);
    v2 = v2.wrapping_add(v3);
    v3 = v3.rotate_left(16) ^ v2;
    v0 = v0.wrapping_add(v3);
    v3 = v3.rotate_left(21) ^ v0;
    v2 = v2.wrapping_add(v1);
    v1 = v1.rotate_left(17) ^ v2;
    v2 = v2.rotate_left(32);
    *v = [v0, v1, v2, v3];
}

#[cfg(test)]
mod tests {
    use super::siphash24;

    /// Key bytes 00..0f, as in the SipHash paper's test vectors.
    const K0: u64 = 0x0706_0504_0302_0100;
    const K1: u64 = 0x0f0e_0d0c_0b0a_0908;

    #[test]
    fn siphash_matches_the_paper_test_vectors() {
        // Aumasson & Bernstein (2012), Appendix A: 15-byte message 00..0e → a129ca6149be45e5;
        // reference implementation vectors[0] (empty message) → 726fdb47dd0e0e31.
        let message: Vec<u8> = (0u8..15).collect();
        assert_eq!(siphash24(K0, K1, &message), 0xa129_ca61_49be_45e5);
        assert_eq!(siphash24(K0, K1, &[]), 0x726f_db47_dd0e_0e31);
    }

    #[test]
    fn siphash_matches_siphashc_on_exact_word_and_long_inputs() {
        // Python siphashc 2.9.1: siphash(bytes(range(16)), msg) for msg = bytes(range(8)) and
        // b"customer-0000042" (16 bytes, two full words), see bench/ab_reference.py.
        let eight: Vec<u8> = (0u8..8).collect();
        assert_eq!(siphash24(K0, K1, &eight), 0x93f5_f579_9a93_2462);
        assert_eq!(siphash24(K0, K1, b"customer-0000042"), 0x4a8d_42f4_9092_2386);
    }
}
