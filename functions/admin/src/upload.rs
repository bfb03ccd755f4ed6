//! A lead file as a browser, curl or a script uploads it: a raw body with
//! whatever content type the client guessed, or a `multipart/form-data` form
//! with the file in one part.

use shared::error::{Error, Result};
use shared::import::{media_type, LeadFormat};

/// The file of an upload: its bytes, its format, and its name if the form
/// gave one.
pub struct Upload {
    pub bytes: Vec<u8>,
    pub format: LeadFormat,
    pub file_name: Option<String>,
}

/// Reads an upload. `format` is the `?format=` parameter, which wins over
/// what the content type or the file name say.
pub async fn read(
    format: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Upload> {
    let named = format
        .map(|f| {
            LeadFormat::parse(f).ok_or_else(|| {
                Error::invalid(
                    "format",
                    format!("{f:?} is not csv, json, jsonl, places or people"),
                )
            })
        })
        .transpose()?;
    let mime = media_type(content_type);
    if mime == "multipart/form-data" {
        let boundary = multer::parse_boundary(content_type.unwrap_or_default()).map_err(|e| {
            Error::invalid(
                "content-type",
                format!("multipart/form-data without a boundary: {e}"),
            )
        })?;
        return from_form(named, &boundary, body).await;
    }
    let format = match named {
        Some(f) => f,
        None => {
            LeadFormat::for_upload(content_type, None, &body).ok_or_else(|| unsupported(&mime))?
        }
    };
    Ok(Upload {
        bytes: body,
        format,
        file_name: None,
    })
}

fn unsupported(mime: &str) -> Error {
    Error::UnsupportedMediaType(format!(
        "cannot read {mime}: send the leads as CSV (text/csv), JSON (application/json) or JSON Lines, as the body or as the file of a multipart/form-data form"
    ))
}

/// The file part of a form (the first part with a file name, else one named
/// `file`); a `format` field of the form counts as the `?format=` parameter.
async fn from_form(named: Option<LeadFormat>, boundary: &str, body: Vec<u8>) -> Result<Upload> {
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let bad = |e: multer::Error| Error::invalid("body", format!("unreadable multipart form: {e}"));
    let mut named = named;
    let mut file: Option<(Vec<u8>, Option<String>, Option<String>)> = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let part_type = field.content_type().map(|m| m.essence_str().to_string());
        if file_name.is_none() && name == "format" {
            let text = field.text().await.map_err(bad)?;
            named = Some(LeadFormat::parse(&text).ok_or_else(|| {
                Error::invalid(
                    "format",
                    format!("{text:?} is not csv, json, jsonl, places or people"),
                )
            })?);
            continue;
        }
        if file.is_none() && (file_name.is_some() || name == "file") {
            let bytes = field.bytes().await.map_err(bad)?.to_vec();
            file = Some((bytes, file_name, part_type));
        }
    }
    let Some((bytes, file_name, part_type)) = file else {
        return Err(Error::invalid(
            "body",
            "the form has no file: send the leads in a file field (name=\"file\")",
        ));
    };
    let format = match named {
        Some(f) => f,
        None => LeadFormat::for_upload(part_type.as_deref(), file_name.as_deref(), &bytes)
            .ok_or_else(|| unsupported(part_type.as_deref().unwrap_or("the uploaded file")))?,
    };
    Ok(Upload {
        bytes,
        format,
        file_name,
    })
}
