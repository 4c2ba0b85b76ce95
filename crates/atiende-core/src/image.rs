//! What an image is, read from its bytes (never from its name or declared type): the format
//! and the size in pixels of PNG, JPEG, GIF and WebP files, from their headers.

/// An image's format (its media type) and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The media type a file's first bytes announce, for the formats a browser shows as images
/// (and PDF), or `None`.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn be16(d: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]) as u32)
}

fn le16(d: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_le_bytes([*d.get(at)?, *d.get(at + 1)?]) as u32)
}

fn le24(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*d.get(at)?, *d.get(at + 1)?, *d.get(at + 2)?, 0]))
}

/// The format and size of an image, when its header is whole and says so.
pub fn probe(d: &[u8]) -> Option<ImageInfo> {
    let content_type = sniff(d)?;
    let (width, height) = match content_type {
        // The IHDR chunk comes first (PNG §11.2.2): width and height, big-endian.
        "image/png" => {
            if d.get(12..16)? != b"IHDR" || d.len() < 29 {
                return None;
            }
            let w = u32::from_be_bytes(d.get(16..20)?.try_into().ok()?);
            let h = u32::from_be_bytes(d.get(20..24)?.try_into().ok()?);
            (w, h)
        }
        // The logical screen descriptor (GIF89a §18), little-endian.
        "image/gif" => (le16(d, 6)?, le16(d, 8)?),
        "image/jpeg" => jpeg_size(d)?,
        "image/webp" => match d.get(12..16)? {
            // Lossy: the VP8 key frame header (RFC 6386 §9.1), 14-bit sizes.
            b"VP8 " => {
                if d.get(23..26)? != [0x9d, 0x01, 0x2a] {
                    return None;
                }
                (le16(d, 26)? & 0x3fff, le16(d, 28)? & 0x3fff)
            }
            // Lossless (RFC 9649 §3): a signature byte, then 14-bit width-1 and height-1.
            b"VP8L" => {
                if *d.get(20)? != 0x2f {
                    return None;
                }
                let b = u32::from_le_bytes(d.get(21..25)?.try_into().ok()?);
                ((b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1)
            }
            // Extended (RFC 9649 §2.7): 24-bit canvas width-1 and height-1.
            b"VP8X" => (le24(d, 24)? + 1, le24(d, 27)? + 1),
            _ => return None,
        },
        _ => return None,
    };
    (width > 0 && height > 0).then_some(ImageInfo { content_type, width, height })
}

/// A JPEG's size from its first start-of-frame segment (ITU T.81 §B.2.2).
fn jpeg_size(d: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        // Markers may be padded with 0xff bytes.
        while *d.get(i)? == 0xff && *d.get(i + 1)? == 0xff {
            i += 1;
        }
        if *d.get(i)? != 0xff {
            return None;
        }
        let marker = *d.get(i + 1)?;
        if matches!(marker, 0xd0..=0xd9 | 0x01) {
            i += 2;
            continue;
        }
        let len = be16(d, i + 2)? as usize;
        if len < 2 {
            return None;
        }
        let is_sof = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_sof {
            return Some((be16(d, i + 7)?, be16(d, i + 5)?));
        }
        i += 2 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut d = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        d.extend(w.to_be_bytes());
        d.extend(h.to_be_bytes());
        d.extend([8, 6, 0, 0, 0]);
        d
    }

    #[test]
    fn png_gif_jpeg_webp_sizes() {
        assert_eq!(
            probe(&png(200, 180)),
            Some(ImageInfo { content_type: "image/png", width: 200, height: 180 })
        );
        let gif = b"GIF89a\xc8\x00\x64\x00\xf7\x00\x00";
        assert_eq!(probe(gif).map(|i| (i.width, i.height)), Some((200, 100)));
        // SOI, an APP0 segment, then SOF2 (progressive) of 640×480.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        jpeg.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        jpeg.extend([0xff, 0xc2, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03]);
        assert_eq!(probe(&jpeg).map(|i| (i.content_type, i.width, i.height)), Some(("image/jpeg", 640, 480)));
        // A DHT segment (0xc4) is not a frame.
        let mut dht = vec![0xff, 0xd8, 0xff, 0xc4, 0x00, 0x04, 0x00, 0x00];
        dht.extend([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03]);
        assert_eq!(probe(&dht).map(|i| (i.width, i.height)), Some((32, 16)));
        let mut vp8x = b"RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0".to_vec();
        vp8x.extend([0xc7, 0x00, 0x00, 0xc7, 0x00, 0x00]);
        assert_eq!(probe(&vp8x).map(|i| (i.content_type, i.width, i.height)), Some(("image/webp", 200, 200)));
        let mut vp8l = b"RIFF\x24\0\0\0WEBPVP8L\x0a\0\0\0\x2f".to_vec();
        let bits: u32 = 199 | (99 << 14);
        vp8l.extend(bits.to_le_bytes());
        assert_eq!(probe(&vp8l).map(|i| (i.width, i.height)), Some((200, 100)));
    }

    #[test]
    fn cut_or_foreign_bytes_are_not_images() {
        let p = png(10, 10);
        for n in 0..p.len() {
            assert_eq!(probe(&p[..n]), None, "cut at {n}");
        }
        assert_eq!(probe(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(probe(&png(0, 10)), None);
        assert_eq!(probe(&[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00]), None, "a zero-length segment");
        assert_eq!(probe(&[0xff, 0xd8, 0xff]), None);
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
    }
}
