//! The QR code PNG of a virtual MFA device's `otpauth://` URI (`QRCodePNG` of
//! `CreateVirtualMFADevice`): black modules on white, a 4-module quiet zone, each module a
//! square of [`MODULE_PX`] pixels, 8-bit grayscale.

/// Pixels per module side.
pub const MODULE_PX: usize = 6;
/// Modules of white border around the code (the QR standard's quiet zone).
pub const QUIET_ZONE: usize = 4;

/// The PNG bytes of a QR code for `text`, or `None` if `text` is too long for any QR
/// version (about 2.9 kB).
pub fn png(text: &str) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET_ZONE) * MODULE_PX;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        for y in my * MODULE_PX..(my + 1) * MODULE_PX {
            pixels[y * side + mx * MODULE_PX..y * side + (mx + 1) * MODULE_PX].fill(0);
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).ok()?;
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_uri_becomes_a_decodable_png_of_the_qr_matrix() {
        let uri = "otpauth://totp/phone@123456789012?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let bytes = super::png(uri).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let code = qrcode::QrCode::new(uri.as_bytes()).unwrap();
        let side = (code.width() + 2 * super::QUIET_ZONE) * super::MODULE_PX;
        assert_eq!((info.width as usize, info.height as usize), (side, side));
        // Every module's pixels have the module's colour.
        let px = |x: usize, y: usize| buf[y * side + x];
        for (i, c) in code.to_colors().iter().enumerate() {
            let x = (i % code.width() + super::QUIET_ZONE) * super::MODULE_PX + 2;
            let y = (i / code.width() + super::QUIET_ZONE) * super::MODULE_PX + 2;
            let want = if *c == qrcode::Color::Dark { 0 } else { 255 };
            assert_eq!(px(x, y), want, "module {i}");
        }
        assert_eq!(px(0, 0), 255, "quiet zone");
        assert!(super::png(&"x".repeat(8000)).is_none());
    }
}
