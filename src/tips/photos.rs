//! Photos sent with a tip: at most 5, each at most 5 MB, JPEG or PNG judged
//! by their bytes. Each is decoded to pixels (under limits that stop a
//! decompression bomb before it allocates) and encoded again, so that no
//! metadata of the camera survives: no EXIF, no GPS position, no maker
//! notes, no embedded thumbnail. The EXIF orientation is applied first, so
//! the picture still stands the right way up.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::error::{AppError, Result};

pub const MAX_PHOTOS: usize = 5;
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Larger than any phone camera; a 20.000 × 20.000 PNG of a few KB is refused.
const MAX_SIDE: u32 = 8000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct Clean {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

fn refused(n: usize, why: &str) -> AppError {
    AppError::field("photos", format!("Ảnh thứ {n}: {why}"))
}

/// Decodes and re-encodes one photo (`n` is its place in the form, from 1).
pub fn clean(n: usize, bytes: &[u8]) -> Result<Clean> {
    if bytes.len() > MAX_BYTES {
        return Err(refused(n, "tối đa 5 MB."));
    }
    let format = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageFormat::Jpeg
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        ImageFormat::Png
    } else {
        return Err(refused(n, "chỉ nhận ảnh JPEG hoặc PNG."));
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let too_large = || refused(n, "ảnh quá lớn (tối đa 8.000 × 8.000 điểm ảnh).");
    let unreadable = || refused(n, "không đọc được ảnh (tệp hỏng hoặc không phải ảnh).");
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(),
        _ => unreadable(),
    })?;
    let (w, h) = decoder.dimensions();
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(too_large());
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(),
        _ => unreadable(),
    })?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let (width, height) = (img.width(), img.height());
    let mut out = Vec::new();
    let content_type = match format {
        ImageFormat::Png => {
            img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("png encode: {e}")))?;
            "image/png"
        }
        _ => {
            // JPEG has no alpha; the encoder takes RGB (converted in place,
            // not copied, when the photo is RGB already).
            let rgb = img.into_rgb8();
            JpegEncoder::new_with_quality(&mut out, 85)
                .encode_image(&rgb)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("jpeg encode: {e}")))?;
            "image/jpeg"
        }
    };
    Ok(Clean {
        content_type,
        width,
        height,
        data: out,
    })
}

/// Whether bytes still carry camera metadata: an EXIF or XMP segment in a
/// JPEG, an eXIf / tEXt / iTXt / zTXt chunk in a PNG. Used by the tests.
pub fn has_metadata(bytes: &[u8]) -> bool {
    let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    find(b"Exif\0\0")
        || find(b"http://ns.adobe.com/xap")
        || find(b"eXIf")
        || find(b"tEXt")
        || find(b"iTXt")
        || find(b"zTXt")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small JPEG with an EXIF segment holding a GPS tag, as a phone makes.
    pub fn jpeg_with_exif() -> Vec<u8> {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 128]));
        let mut plain = Vec::new();
        JpegEncoder::new_with_quality(&mut plain, 90)
            .encode_image(&img)
            .unwrap();
        // APP1 "Exif\0\0" + a little-endian TIFF header with one GPS IFD pointer tag.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&[1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 0x1A, 0, 0, 0, 0, 0, 0, 0]);
        tiff.extend_from_slice(b"GPS 22.5935N 103.3810E");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let len = (app1.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn metadata_does_not_survive() {
        let with = jpeg_with_exif();
        // The browser and integration tests' fixture is this same photo.
        if let Ok(path) = std::env::var("ANTQ_WRITE_PHOTO_FIXTURE") {
            std::fs::write(path, &with).unwrap();
        }
        assert!(has_metadata(&with));
        let clean = clean(1, &with).unwrap();
        assert_eq!(
            (clean.width, clean.height, clean.content_type),
            (64, 48, "image/jpeg")
        );
        assert!(!has_metadata(&clean.data));
        assert!(!clean.data.windows(3).any(|w| w == b"GPS"));
    }

    #[test]
    fn bombs_and_non_images_are_refused() {
        assert!(clean(1, b"MZ\x90\0 not an image").is_err());
        assert!(clean(2, &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).is_err());
        // A PNG whose header claims 20.000 × 20.000 (1,2 GB of pixels) in a
        // few bytes: refused from its header, before anything is allocated.
        fn crc32(data: &[u8]) -> u32 {
            let mut c = 0xFFFF_FFFFu32;
            for &b in data {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 == 1 {
                        0xEDB8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        }
        let chunk = |kind: &[u8], body: &[u8]| {
            let mut out = (body.len() as u32).to_be_bytes().to_vec();
            let mut typed = kind.to_vec();
            typed.extend_from_slice(body);
            out.extend_from_slice(&typed);
            out.extend_from_slice(&crc32(&typed).to_be_bytes());
            out
        };
        let mut ihdr = 20_000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut bomb = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        bomb.extend(chunk(b"IHDR", &ihdr));
        bomb.extend(chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
        bomb.extend(chunk(b"IEND", &[]));
        assert!(bomb.len() < MAX_BYTES, "{}", bomb.len());
        let err = clean(3, &bomb).unwrap_err();
        assert!(format!("{err}").contains("quá lớn"), "{err}");
    }
}
