//! Running the system: the control plane (switches behind a confirmation),
//! campaigns and their results, deliverability, memory and learning, sends
//! in doubt and the audit trail.

use super::*;
use std::fmt::Write as _;

/// The channels of the sends chart, in the order drawn.
const CHANNELS: [&str; 4] = ["email", "sms", "call", "linkedin"];

impl App {
    pub(super) async fn control_page(
        &self,
        who: &Who,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let cp = self
            .call(who, "GET", &["control-plane"], Value::Null, req, now)
            .await?;
        self.page(
            who,
            "control.html",
            "control",
            "Control plane",
            json!({"cp": cp}),
        )
        .await
    }

    pub(super) async fn confirm_control(
        &self,
        who: &Who,
        action: &str,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        let (what, button, class) = control_words(action)?;
        who.require(control_action(action))?;
        self.page(
            who,
            "confirm.html",
            "control",
            button,
            json!({"what": what, "button": button, "button_class": class,
                   "action": format!("/console/control/{action}"),
                   "default_reason": format!("{} from the console", action.replace('-', " "))}),
        )
        .await
    }

    pub(super) async fn do_control(
        &self,
        who: &Who,
        action: &str,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        control_words(action)?;
        who.require(control_action(action))?;
        if form.get("confirmed") != "yes" {
            return Ok(http::redirect(&format!("/console/control/{action}")));
        }
        let reason = form.opt("reason").unwrap_or_else(|| "console".into());
        self.call(
            who,
            "POST",
            &["control", action],
            json!({"reason": reason}),
            req,
            now,
        )
        .await?;
        Ok(http::redirect("/console"))
    }

    pub(super) async fn campaigns_page(
        &self,
        who: &Who,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let list = self
            .call(who, "GET", &["campaigns"], Value::Null, req, now)
            .await?;
        let campaigns: Vec<Value> = list["campaigns"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut c| {
                c["state"] = c["status"].clone();
                c["target_summary"] = json!(summary(&c["target"]));
                c["offer_summary"] = c["offer"].clone();
                c
            })
            .collect();
        let config = self.store.require_config(&who.tenant).await?;
        let offers: Vec<Value> = config
            .offers
            .iter()
            .map(|o| json!({"id": o.id, "name": o.name}))
            .collect();
        let tz = config.tz();
        let today = now.with_timezone(&tz).date_naive();
        let mut days = Vec::new();
        for back in (0..14).rev() {
            let day = today - Duration::days(back);
            let counters = self.store.counters(&who.tenant, day).await?;
            days.push((day.format("%m-%d").to_string(), sends_by_channel(&counters)));
        }
        self.page(
            who,
            "campaigns.html",
            "campaigns",
            "Campaigns",
            json!({"campaigns": campaigns, "chart": sends_chart(&days), "offers": offers}),
        )
        .await
    }

    pub(super) async fn campaign_page(
        &self,
        who: &Who,
        id: &str,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let mut campaign = self
            .call(who, "GET", &["campaigns", id], Value::Null, req, now)
            .await?;
        if campaign.get("campaign").is_some() {
            campaign = campaign["campaign"].clone();
        }
        campaign["state"] = campaign["status"].clone();
        let report = self
            .call(
                who,
                "GET",
                &["campaigns", id, "report"],
                Value::Null,
                req,
                now,
            )
            .await
            .unwrap_or(Value::Null);
        let dialer = self
            .call(
                who,
                "GET",
                &["campaigns", id, "dialer"],
                Value::Null,
                req,
                now,
            )
            .await
            .ok();
        let actions: Vec<(&str, &str)> = match campaign["status"].as_str() {
            Some("draft") => vec![("activate", "Activate")],
            Some("active") => vec![("pause", "Pause"), ("archive", "Archive")],
            Some("paused") => vec![("resume", "Resume"), ("archive", "Archive")],
            _ => vec![],
        };
        // Only what an edit may write (the route refuses anything else).
        let editable: serde_json::Map<String, Value> = [
            "name",
            "target",
            "offer",
            "preset",
            "custom",
            "sequence",
            "nurture",
            "senders",
            "windows",
            "tiers",
            "auto_enroll",
            "ramp",
            "daily_share",
        ]
        .iter()
        .filter_map(|k| Some((k.to_string(), campaign.get(*k)?.clone())))
        .collect();
        let funnel_chart = funnel_chart(&report);
        let charts = campaign_charts(&report);
        self.page(
            who,
            "campaign.html",
            "campaigns",
            &format!("Campaign {}", campaign["name"].as_str().unwrap_or(id)),
            json!({"campaign": campaign, "report": report, "dialer": dialer,
                   "actions": actions, "editable": editable, "funnel_chart": funnel_chart,
                   "charts": charts}),
        )
        .await
    }

    pub(super) async fn campaign_action(
        &self,
        who: &Who,
        id: &str,
        action: &str,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::EditCampaigns)?;
        match action {
            "create" => {
                let config = self.store.require_config(&who.tenant).await?;
                let mut target = serde_json::to_value(&config.icp).unwrap_or_default();
                let list = |k: &str| -> Vec<String> {
                    form.get(k)
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_string)
                        .collect()
                };
                target["name"] = json!(form.get("name"));
                for (field, k) in [
                    ("industries", "industries"),
                    ("titles", "titles"),
                    ("us_states", "states"),
                ] {
                    if !list(k).is_empty() {
                        target[field] = json!(list(k));
                    }
                }
                let body = json!({"id": form.get("id").trim(), "name": form.get("name").trim(),
                                  "offer": form.get("offer").trim(), "preset": form.get("preset"),
                                  "target": target});
                let v = self
                    .call(who, "POST", &["campaigns"], body, req, now)
                    .await?;
                let id = v["id"].as_str().unwrap_or(id).to_string();
                return Ok(http::redirect(&format!("/console/campaigns/{id}")));
            }
            "edit" => {
                let body: Value = serde_json::from_str(form.get("campaign"))
                    .map_err(|e| Error::invalid("campaign", format!("not valid JSON: {e}")))?;
                self.call(who, "PUT", &["campaigns", id], body, req, now)
                    .await?;
            }
            "activate" | "pause" | "resume" | "archive" => {
                self.call(
                    who,
                    "POST",
                    &["campaigns", id, action],
                    Value::Null,
                    req,
                    now,
                )
                .await?;
            }
            other => return Err(Error::NotFound(format!("no campaign action {other}"))),
        }
        Ok(http::redirect(&format!("/console/campaigns/{id}")))
    }

    pub(super) async fn deliverability(
        &self,
        who: &Who,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let cp = self
            .call(who, "GET", &["control-plane"], Value::Null, req, now)
            .await?;
        let counters: BTreeMap<String, u64> = cp["counters_today"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["scope"].as_str().unwrap_or("").to_string(),
                    c["used"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        let config = self.store.require_config(&who.tenant).await?;
        let hours = config.domain_health.window_hours;
        let labels = shared::domain::safety::breaker::window_buckets(now, hours);
        let mut domains = Vec::new();
        for d in cp["domain_health"].as_array().into_iter().flatten() {
            let name = d["domain"].as_str().unwrap_or("").to_ascii_lowercase();
            // One BatchGetItem of the window's hourly buckets.
            let buckets = self
                .store
                .domain_rate_buckets(&who.tenant, &name, &labels)
                .await?;
            let t = shared::domain::safety::domain_health::Totals::of(&buckets);
            let rate = |n: u32| (t.sends > 0).then(|| f64::from(n) / f64::from(t.sends));
            let warmup = cp["warmup"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|w| w["domain"] == d["domain"])
                .and_then(|w| {
                    w["rows"]
                        .as_array()?
                        .iter()
                        .find(|r| r["phase"] == "active")
                        .map(|r| format!("week {}: {} a day", r["week"], r["daily_cap"]))
                })
                .unwrap_or_else(|| "after warmup".into());
            let sent = counters
                .get(&format!("email#domain#{name}"))
                .copied()
                .unwrap_or(0);
            domains.push(
                json!({"domain": name, "state": d["state"], "reason": d["reason"],
                   "cap_today": d["cap_today"], "sent": sent, "warmup": warmup,
                   "window_sends": t.sends,
                   "bounce_rate": rate(t.bounces), "complaint_rate": rate(t.complaints),
                   "unsubscribe_rate": rate(t.unsubscribes)}),
            );
        }
        self.page(
            who,
            "deliverability.html",
            "deliverability",
            "Deliverability",
            json!({"cp": cp, "domains": domains, "window_hours": hours}),
        )
        .await
    }

    pub(super) async fn in_doubt_page(
        &self,
        who: &Who,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let v = self
            .call(who, "GET", &["in-doubt"], Value::Null, req, now)
            .await?;
        let items: Vec<Value> = v["in_doubt"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| json!({"lead_id": d["lead"], "step": d["step"], "channel": d["channel"], "attempted_at": d["lease_until"]}))
            .collect();
        self.page(
            who,
            "in_doubt.html",
            "in-doubt",
            "Sends in doubt",
            json!({"items": items}),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn resolve_in_doubt_form(
        &self,
        who: &Who,
        lead: &str,
        step: &str,
        form: &Form,
        req: &ApiGatewayV2httpRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        who.require(Action::ResolveInDoubt)?;
        let resolution = match form.get("outcome") {
            "sent" => "sent",
            "not_sent" => "not_sent",
            other => {
                return Err(Error::invalid(
                    "outcome",
                    format!("{other:?} is not sent or not_sent"),
                ))
            }
        };
        self.call(
            who,
            "POST",
            &["in-doubt", lead, step],
            json!({"resolution": resolution}),
            req,
            now,
        )
        .await?;
        Ok(http::redirect("/console/in-doubt"))
    }

    pub(super) async fn audit_page(
        &self,
        who: &Who,
        form: &Form,
        _req: &ApiGatewayV2httpRequest,
    ) -> Result<Response> {
        let page = self
            .store
            .audit_page(&who.tenant, PAGE, cursor(form).as_ref())
            .await?;
        self.page(
            who,
            "audit.html",
            "audit",
            "Audit trail",
            json!({"rows": page.items, "next": page.next.map(|c| c.0)}),
        )
        .await
    }
}

fn control_action(action: &str) -> Action {
    if action.starts_with("emergency") {
        Action::EmergencyStop
    } else {
        Action::PauseAndResume
    }
}

/// What a control action does, its button and the button's look.
fn control_words(action: &str) -> Result<(&'static str, &'static str, &'static str)> {
    Ok(match action {
        "pause" => ("Pause every send and call of this workspace. Drafting and intake go on; nothing is lost.", "Pause sending", "warn"),
        "resume" => ("Resume sending. This also closes the bounce breaker if it is open: review the bounces first.", "Resume sending", "ok"),
        "emergency-stop" => ("Stop every channel at once, the dialing desk included, until released.", "Emergency stop", "danger"),
        "emergency-release" => ("Release the emergency stop: sending resumes unless paused.", "Release emergency stop", "ok"),
        other => return Err(Error::NotFound(format!("no control action {other}"))),
    })
}

/// A one-line summary of a campaign's target.
fn summary(target: &Value) -> String {
    let mut parts = Vec::new();
    for k in ["industries", "titles", "regions", "countries", "states"] {
        if let Some(a) = target[k].as_array().filter(|a| !a.is_empty()) {
            let v: Vec<&str> = a.iter().filter_map(Value::as_str).take(3).collect();
            parts.push(format!("{k}: {}", v.join(", ")));
        }
    }
    parts.join("; ")
}

/// A day's sends by channel, from its counters (no touch is read).
fn sends_by_channel(counters: &[(String, u32, u32)]) -> BTreeMap<&'static str, u32> {
    let mut m = BTreeMap::new();
    for (scope, used, _) in counters {
        let channel = if scope == "email#tenant" {
            "email"
        } else if scope == "sms#tenant" {
            "sms"
        } else if scope.starts_with("voice#number#") {
            "call"
        } else if scope.starts_with("linkedin#connect#") {
            "linkedin"
        } else {
            continue;
        };
        *m.entry(channel).or_default() += used;
    }
    m
}

/// Grouped bars, one group a day, as inline SVG (no script, no style).
fn sends_chart(days: &[(String, BTreeMap<&'static str, u32>)]) -> String {
    let max = days
        .iter()
        .flat_map(|(_, m)| m.values().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h, pad) = (840.0, 220.0, 30.0);
    let group = (w - pad) / days.len().max(1) as f64;
    let bar = (group - 6.0) / CHANNELS.len() as f64;
    let total: u32 = days.iter().flat_map(|(_, m)| m.values()).sum();
    let mut svg = format!(
        "<svg class=\"chart\" id=\"sends-chart\" viewBox=\"0 0 {w} {}\" width=\"100%\" role=\"img\" aria-label=\"Sends per day and channel, last {} days: {total} in all\">",
        h + 20.0,
        days.len()
    );
    for (i, (label, m)) in days.iter().enumerate() {
        let label = escape(label);
        let x0 = pad + i as f64 * group;
        for (j, ch) in CHANNELS.iter().enumerate() {
            let v = m.get(ch).copied().unwrap_or(0);
            let bh = (h - 10.0) * f64::from(v) / f64::from(max);
            let _ = write!(
                svg,
                "<rect class=\"bar-{ch}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{label} {ch}: {v}</title></rect>",
                x0 + j as f64 * bar,
                h - bh,
                bar.max(1.0),
                bh
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\">{label}</text>",
            x0,
            h + 15.0
        );
    }
    let _ = write!(svg, "<text x=\"0\" y=\"12\">{max}</text></svg>");
    svg.push_str("<ul class=\"legend\">");
    for ch in CHANNELS {
        let _ = write!(svg, "<li><span class=\"swatch {ch}\"></span>{ch}</li>");
    }
    svg.push_str("</ul>");
    svg
}

/// The campaign's charts from its report (itself read from the results
/// counters): sends per day per channel, reply rate by step, by send hour
/// (recipient-local), bounce rate by warmup day, channel effectiveness and
/// the A/B results; each an SVG with its figures in its title.
fn campaign_charts(report: &Value) -> Vec<Value> {
    let rows = |k: &str| report[k].as_array().cloned().unwrap_or_default();
    let mut charts = Vec::new();
    let days: Vec<(String, BTreeMap<&'static str, u32>)> = rows("per_day")
        .iter()
        .map(|d| {
            let n = |k: &str| d[k].as_u64().unwrap_or(0) as u32;
            let m = BTreeMap::from([
                ("email", n("email")),
                ("sms", n("sms")),
                ("call", n("voice")),
                ("linkedin", n("linkedin")),
            ]);
            (d["day"].as_str().unwrap_or("").chars().skip(5).collect(), m)
        })
        .collect();
    if !days.is_empty() {
        charts.push(json!({"id": "per-day", "title": "Sends per day per channel", "svg": sends_chart(&days)}));
    }
    let rate = |k: &str, label: &dyn Fn(&Value) -> String, num: &str, den: &str, rate: &str| {
        rows(k)
            .iter()
            .map(|r| {
                (
                    label(r),
                    r[rate].as_f64().unwrap_or(0.0),
                    format!(
                        "{} of {}",
                        r[num].as_u64().unwrap_or(0),
                        r[den].as_u64().unwrap_or(0)
                    ),
                )
            })
            .collect::<Vec<_>>()
    };
    for (id, title, bars) in [
        (
            "by-step",
            "Reply rate by step",
            rate(
                "by_step",
                &|r| format!("step {}", r["step"]),
                "replied",
                "sent",
                "reply_rate",
            ),
        ),
        (
            "by-hour",
            "Reply rate by send hour (recipient-local)",
            rate(
                "by_hour",
                &|r| format!("{:02}:00", r["hour"].as_u64().unwrap_or(0)),
                "replied",
                "sent",
                "reply_rate",
            ),
        ),
        (
            "by-warmup-day",
            "Bounce rate by warmup day",
            rate(
                "by_warmup_day",
                &|r| format!("day {}", r["day"]),
                "bounced",
                "sent",
                "bounce_rate",
            ),
        ),
        (
            "by-channel",
            "Reply rate by channel",
            rate(
                "by_channel",
                &|r| r["channel"].as_str().unwrap_or("").to_string(),
                "replied",
                "sent",
                "reply_rate",
            ),
        ),
        (
            "ab",
            "A/B: reply rate by template variant",
            rate(
                "ab",
                &|r| {
                    format!(
                        "{} {}",
                        r["template_id"].as_str().unwrap_or(""),
                        r["variant"].as_str().unwrap_or("")
                    )
                },
                "replied",
                "sent",
                "reply_rate",
            ),
        ),
    ] {
        if !bars.is_empty() {
            charts.push(json!({"id": id, "title": title, "svg": rate_chart(id, title, &bars)}));
        }
    }
    charts
}

/// Horizontal bars of rates (0-1), each labelled with its figures.
fn rate_chart(id: &str, title: &str, bars: &[(String, f64, String)]) -> String {
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(0.01);
    let h = bars.len() * 24 + 6;
    let mut svg = format!(
        "<svg class=\"chart\" id=\"{id}-chart\" viewBox=\"0 0 760 {h}\" width=\"100%\" role=\"img\" aria-label=\"{title}\">"
    );
    for (i, (label, rate, detail)) in bars.iter().enumerate() {
        let y = 4 + i * 24;
        let w = 420.0 * rate / max;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text><rect class=\"bar\" x=\"180\" y=\"{y}\" width=\"{w:.1}\" height=\"18\"><title>{}: {:.1}% ({detail})</title></rect><text x=\"{:.1}\" y=\"{}\">{:.1}% ({detail})</text>",
            y + 14,
            escape(label),
            escape(label),
            rate * 100.0,
            185.0 + w,
            y + 14,
            rate * 100.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text for SVG: template ids and labels are the tenant's own words.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The campaign's funnel (enrolled → contacted → replied → booked) as bars.
fn funnel_chart(report: &Value) -> String {
    let stages: Vec<(String, u64)> = ["enrolled", "contacted", "replied", "booked"]
        .iter()
        .map(|k| {
            let v = report["funnel"][k]
                .as_u64()
                .or_else(|| report[k].as_u64())
                .unwrap_or(0);
            (k.to_string(), v)
        })
        .collect();
    let max = stages.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    let mut svg = String::from(
        "<svg class=\"chart\" id=\"funnel-chart\" viewBox=\"0 0 600 130\" width=\"100%\" role=\"img\" aria-label=\"Funnel to booked\">",
    );
    for (i, (k, v)) in stages.iter().enumerate() {
        let y = 5 + i * 30;
        let width = 460.0 * *v as f64 / max as f64;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{k}</text><rect class=\"bar\" x=\"90\" y=\"{y}\" width=\"{width:.1}\" height=\"22\"></rect><text x=\"{:.1}\" y=\"{}\">{v}</text>",
            y + 16,
            95.0 + width,
            y + 16
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_counted_by_channel_from_the_counters_alone() {
        let c = vec![
            ("email#tenant".to_string(), 40, 500),
            ("email#domain#a.com".to_string(), 40, 100),
            ("sms#tenant".to_string(), 3, 100),
            ("voice#number#+15550001".to_string(), 2, 40),
            ("voice#number#+15550002".to_string(), 5, 40),
            ("voice#lead#l1".to_string(), 1, 2),
        ];
        let m = sends_by_channel(&c);
        assert_eq!(m["email"], 40);
        assert_eq!(m["sms"], 3);
        assert_eq!(m["call"], 7);
        let svg = sends_chart(&[("12-01".into(), m)]);
        assert!(svg.contains("12-01 call: 7"), "{svg}");
        assert!(!svg.contains("style="), "the CSP allows no inline style");
    }
}
