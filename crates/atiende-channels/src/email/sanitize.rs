//! Email HTML, made safe before any browser sees it: no scripts, no event
//! handlers, no forms, frames or styles that could act; links open outside.
//! Inline images stay as `cid:` references, which the UI maps to the stored
//! attachment; remote images are kept but the UI serves message HTML under a
//! Content-Security-Policy that blocks remote loads until the agent asks for them.
use std::sync::OnceLock;

fn cleaner() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_url_schemes(["cid"])
            .add_tags(["font", "center"])
            .add_tag_attributes("font", ["color", "face", "size"])
            .add_tag_attributes("td", ["bgcolor", "width", "valign", "align"])
            .add_tag_attributes(
                "table",
                ["bgcolor", "width", "cellpadding", "cellspacing", "border", "align"],
            )
            .add_tag_attributes("img", ["width", "height"])
            .add_generic_attributes(["align", "dir"])
            .link_rel(Some("noopener noreferrer nofollow"))
            .set_tag_attribute_value("a", "target", "_blank");
        b
    })
}

/// Sanitizes one HTML body.
pub fn sanitize_html(html: &str) -> String {
    cleaner().clean(html).to_string()
}
