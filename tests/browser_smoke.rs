//! The browser-test machinery works end to end: pages served over real
//! HTTP by `local_stack::serve` (as API Gateway would hand them to a
//! Lambda), opened in headless Chromium through ChromeDriver, a form filled
//! and posted with the browser's cookie, keyboard shortcuts and alerts,
//! screenshots, and axe's accessibility rules passing on a good page and
//! failing on a bad one. It needs no emulators; `serve_stack` in front of
//! a whole local stack is tested in `integration.rs`.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use futures::FutureExt as _;
use integration_tests::*;
use local_stack::serve::{serve, Handler, Served};
use std::sync::{Arc, Mutex};

const FORM_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign up</title></head>
<body>
<main>
  <h1>Sign up</h1>
  <form method="post" action="/submit">
    <label for="name">Your name</label>
    <input id="name" name="name" type="text" autocomplete="name">
    <button type="submit">Send</button>
  </form>
  <p id="last-key">none</p>
</main>
<script>
  document.addEventListener('keydown', (e) => {
    if (e.target === document.body) {
      document.getElementById('last-key').textContent = e.key;
    }
  });
</script>
</body>
</html>"#;

/// Two serious violations: an input nobody can name, and grey on white.
const BAD_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bad page</title></head>
<body>
<main>
  <h1>Search</h1>
  <input type="text" name="q">
  <p style="color:#c8c8c8;background:#ffffff">Results appear here.</p>
</main>
</body>
</html>"#;

fn html(status: i64, body: String) -> ApiGatewayV2httpResponse {
    let mut resp = ApiGatewayV2httpResponse::default();
    resp.status_code = status;
    resp.headers.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp.body = Some(Body::Text(body));
    resp
}

/// A tiny site: the form page sets a visitor cookie, the form posts to
/// `/submit`, which thanks the visitor; every request is recorded.
async fn site() -> (Served, Arc<Mutex<Vec<ApiGatewayV2httpRequest>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler: Handler = Arc::new(move |req: ApiGatewayV2httpRequest| {
        log.lock().unwrap().push(req.clone());
        async move {
            match req.raw_path.as_deref().unwrap_or("/") {
                "/form" => {
                    let mut resp = html(200, FORM_PAGE.to_string());
                    resp.cookies = vec!["visitor=v123; Path=/; HttpOnly; SameSite=Lax".to_string()];
                    resp
                }
                "/submit" => {
                    let body = req.body.unwrap_or_default();
                    let name = form_urlencoded::parse(body.as_bytes())
                        .find(|(k, _)| k == "name")
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    html(
                        200,
                        format!(
                            "<!doctype html><html lang=\"en\"><head><title>Thanks</title></head>\
                             <body><main><h1>Thanks, {name}</h1></main></body></html>"
                        ),
                    )
                }
                "/bad" => html(200, BAD_PAGE.to_string()),
                _ => html(404, "<h1>Not found</h1>".to_string()),
            }
        }
        .boxed()
    });
    let served = serve("127.0.0.1:0".parse().unwrap(), handler)
        .await
        .expect("local server bound");
    (served, seen)
}

#[tokio::test]
async fn a_form_is_filled_and_posted_with_the_cookie_the_server_set() {
    // GIVEN a page served over HTTP and a headless browser
    let (served, seen) = site().await;
    let browser = browser::Browser::start().await;
    browser.goto(&format!("{}/form", served.url())).await;
    assert_eq!(browser.title().await, "Sign up");

    // WHEN a person types their name and clicks Send
    let input = browser.find("#name").await;
    input.send_keys("Ada").await;
    input.clear().await;
    input.send_keys("Ada Lovelace").await;
    assert_eq!(
        input.property("value").await,
        serde_json::json!("Ada Lovelace")
    );
    assert_eq!(input.attr("autocomplete").await.as_deref(), Some("name"));
    assert_eq!(input.attr("placeholder").await, None);
    browser.find("button[type=submit]").await.click().await;

    // THEN the next page thanks them
    assert_eq!(
        browser.find("h1").await.text().await,
        "Thanks, Ada Lovelace"
    );
    assert!(browser.current_url().await.ends_with("/submit"));
    // AND the server got the POST as API Gateway would pass it, with the cookie
    let post = seen
        .lock()
        .unwrap()
        .iter()
        .find(|r| r.raw_path.as_deref() == Some("/submit"))
        .cloned()
        .expect("the form was posted");
    assert_eq!(post.request_context.http.method.as_str(), "POST");
    assert_eq!(post.body.as_deref(), Some("name=Ada+Lovelace"));
    assert_eq!(post.cookies, Some(vec!["visitor=v123".to_string()]));
    assert_eq!(post.headers["cookie"], "visitor=v123");
    // AND the browser holds the cookie as set (HttpOnly: no script sees it)
    let cookies = browser.cookies().await;
    let visitor = cookies
        .iter()
        .find(|c| c.name == "visitor")
        .expect("cookie");
    assert!(visitor.http_only);
    assert_eq!(visitor.value, "v123");
    assert_eq!(
        browser.execute("return document.cookie", vec![]).await,
        serde_json::json!("")
    );
    browser.delete_all_cookies().await;
    assert!(browser.cookies().await.is_empty());

    // AND a keyboard shortcut reaches the page, scripts run and alerts can be answered
    browser.goto(&format!("{}/form", served.url())).await;
    // The page's script may attach its listener a moment after load: a key
    // sent before that is lost, so send again until the page saw one.
    let mut last = String::new();
    for _ in 0..50 {
        browser.send_keys_to_page("g").await;
        last = browser.find("#last-key").await.text().await;
        if last == "g" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last, "g");
    assert_eq!(
        browser
            .execute("return arguments[0] + 1", vec![serde_json::json!(41)])
            .await,
        serde_json::json!(42)
    );
    assert_eq!(
        browser
            .execute_async(
                "const done = arguments[0]; setTimeout(() => done('later'), 10);",
                vec![]
            )
            .await,
        serde_json::json!("later")
    );
    browser
        .execute("setTimeout(() => alert('Saved'), 0)", vec![])
        .await;
    assert_eq!(browser.alert_text().await, "Saved");
    browser.accept_alert().await;
    assert!(browser.page_source().await.contains("Your name"));

    // AND a screenshot is a PNG file
    let shot = browser::artifact("browser-smoke-form");
    let _stale = std::fs::remove_file(&shot);
    browser.screenshot(&shot).await;
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 1000);

    browser.quit().await;
    served.stop();
}

#[tokio::test]
async fn axe_passes_an_accessible_page_and_names_what_breaks_a_bad_one() {
    let (served, _) = site().await;
    let browser = browser::Browser::start().await;

    // GIVEN an accessible page THEN the check passes
    browser.goto(&format!("{}/form", served.url())).await;
    browser.assert_accessible("browser-smoke-form").await;

    // GIVEN a page with an unlabeled input and low-contrast text
    browser.goto(&format!("{}/bad", served.url())).await;
    // THEN axe reports both as serious (or worse)
    let violations = browser.axe().await;
    let serious: Vec<&str> = violations
        .iter()
        .filter(|v| v.is_serious())
        .map(|v| v.id.as_str())
        .collect();
    assert!(serious.contains(&"label"), "{violations:#?}");
    assert!(serious.contains(&"color-contrast"), "{violations:#?}");
    let label = violations.iter().find(|v| v.id == "label").unwrap();
    assert_eq!(label.targets, vec!["input".to_string()]);
    // AND assert_accessible fails, naming them
    let failed = std::panic::AssertUnwindSafe(browser.assert_accessible("browser-smoke-bad"))
        .catch_unwind()
        .await
        .expect_err("a bad page must fail the check");
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("label (critical)") || message.contains("label (serious)"),
        "{message}"
    );
    assert!(message.contains("color-contrast"), "{message}");
    assert!(browser::artifact("browser-smoke-bad-a11y").is_file());

    browser.quit().await;
    served.stop();
}
