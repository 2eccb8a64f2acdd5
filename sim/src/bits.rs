//! Packing fields into and out of wide buses held as little-endian 32-bit words.

/// Writes the low `width` (<= 64) bits of `v` at bit `lo` of `words` (which must be long enough;
/// bits past the end are dropped).
pub fn put_bits(words: &mut [u32], lo: usize, width: u32, v: u64) {
    let width = width.min(64);
    let v = if width == 64 {
        v
    } else {
        v & ((1u64 << width) - 1)
    };
    let mut done = 0u32;
    while done < width {
        let bit = lo + done as usize;
        let (i, sh) = (bit / 32, (bit % 32) as u32);
        let Some(w) = words.get_mut(i) else { return };
        let n = (32 - sh).min(width - done);
        let mask = if n == 32 {
            u32::MAX
        } else {
            ((1u32 << n) - 1) << sh
        };
        *w = (*w & !mask) | (((v >> done) as u32) << sh & mask);
        done += n;
    }
}

/// Reads `width` (<= 64) bits at bit `lo` of `words`, zero-extended (bits past the end read 0).
pub fn get_bits(words: &[u32], lo: usize, width: u32) -> u64 {
    let width = width.min(64);
    let mut v = 0u64;
    let mut done = 0u32;
    while done < width {
        let bit = lo + done as usize;
        let (i, sh) = (bit / 32, (bit % 32) as u32);
        let w = words.get(i).copied().unwrap_or(0);
        let n = (32 - sh).min(width - done);
        let part = (w >> sh) as u64 & ((1u64 << n) - 1);
        v |= part << done;
        done += n;
    }
    v
}

/// Sign-extends the low `width` bits (1..=64) of `v`.
pub fn sign_extend(v: u64, width: u32) -> i64 {
    if width == 0 || width >= 64 {
        return v as i64;
    }
    let sh = 64 - width;
    ((v << sh) as i64) >> sh
}

/// Number of 32-bit words holding `bits` bits.
pub fn words_for(bits: usize) -> usize {
    bits.div_ceil(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_across_word_boundaries() {
        let mut w = vec![0u32; 5];
        put_bits(&mut w, 30, 33, 0x1_2345_6789);
        put_bits(&mut w, 63, 64, u64::MAX - 5);
        assert_eq!(get_bits(&w, 30, 33), 0x1_2345_6789);
        assert_eq!(get_bits(&w, 63, 64), u64::MAX - 5);
        put_bits(&mut w, 30, 33, 0);
        assert_eq!(get_bits(&w, 30, 33), 0);
        assert_eq!(get_bits(&w, 63, 64), u64::MAX - 5);
        assert_eq!(get_bits(&w, 150, 20), 0);
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sign_extend(0x1_FFFF_FFFF, 33), -1);
        assert_eq!(sign_extend(0x0_FFFF_FFFF, 33), 0xFFFF_FFFF);
        assert_eq!(sign_extend(0x80, 8), -128);
        assert_eq!(sign_extend(5, 64), 5);
    }
}
