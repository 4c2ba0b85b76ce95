//! Standard base64 (RFC 4648 §4, with padding): files in JSON bodies, inline images.

const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

/// The value of one base64 character.
fn val(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Base64 as mail clients read it (a body with stray characters): characters outside the
/// alphabet skipped, missing padding tolerated, stopping at the first `=`. Never fails.
pub fn decode_lenient(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    let (mut acc, mut n) = (0u32, 0);
    for &c in bytes {
        if c == b'=' {
            break;
        }
        let Some(v) = val(c) else { continue };
        acc = (acc << 6) | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            (acc, n) = (0, 0);
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// Decodes base64, ignoring ASCII whitespace; `None` when it is not valid base64.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.len() / 4;
    for (i, c) in bytes.chunks(4).enumerate() {
        let pad = c.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for (j, b) in c.iter().enumerate() {
            n <<= 6;
            if j < 4 - pad {
                n |= val(*b)?;
            } else if *b != b'=' {
                return None;
            }
        }
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// Base64url without padding (RFC 4648 §5; what JOSE, RFC 7515 §2, and PKCE use).
pub fn encode_url(data: &[u8]) -> String {
    encode(data)
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect()
}

/// Decodes base64url without padding; `None` when it has characters outside the URL-safe
/// alphabet, padding, or a length no encoding gives.
pub fn decode_url(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 || text.bytes().any(|b| matches!(b, b'+' | b'/' | b'=') || b.is_ascii_whitespace())
    {
        return None;
    }
    let mut std: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !std.len().is_multiple_of(4) {
        std.push('=');
    }
    decode(&std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_decoding_skips_stray_characters_and_missing_padding() {
        assert_eq!(decode_lenient(b"aG9s!*YQ\r\n"), b"hola");
        assert_eq!(decode_lenient(b"aG9sYQ=="), b"hola");
        assert_eq!(decode_lenient(b"aG9sY"), b"hol");
    }

    #[test]
    fn rfc4648_vectors_both_ways() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(i.as_bytes()), o);
            assert_eq!(decode(o).unwrap(), i.as_bytes());
        }
        assert_eq!(decode("Zm9v\nYmFy").unwrap(), b"foobar");
        for bad in ["Zm9", "Zg=a", "Z===", "Zg==Zg==", "Zm9v!A=="] {
            assert!(decode(bad).is_none(), "{bad}");
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
    }

    #[test]
    fn base64url_without_padding() {
        // RFC 7515 Appendix C: the octets 3, 236, 255, 224, 193.
        assert_eq!(encode_url(&[3, 236, 255, 224, 193]), "A-z_4ME");
        assert_eq!(decode_url("A-z_4ME").unwrap(), [3, 236, 255, 224, 193]);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_url(&encode_url(&all)).unwrap(), all);
        for bad in ["A+z/4ME", "Zg==", "Z", "Zm 9v", "eyJ!!!"] {
            assert!(decode_url(bad).is_none(), "{bad}");
        }
    }
}
