//! Replies on the local emulators: what the classifier reads in a reply
//! changes what happens next (SPEC §6, §11): an out-of-office notice pauses
//! the sequence until the person is back, a wrong person's referral becomes
//! a lead, an interested reply alerts the operator.

use integration_tests::hooks::*;
use integration_tests::*;
use local_stack::runner::LocalStack;
use shared::domain::lead::LeadStatus;
use shared::domain::touch::TouchState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_office_reply_pauses_the_sequence_until_the_return_date_then_resumes() {
    let mut ls = stack("sigooo", at(IN_WINDOW), None).await;
    let t = "sigooo";
    let auth = tenant(&mut ls, t, email_steps).await;
    import(&mut ls, &auth, &csv(&emails("oo", 2, "NY"))).await;
    approve_all(&mut ls, &auth).await;
    ls.tick().await.unwrap();
    let away = lead_id(t, "oo0@oo0.example");
    let here = lead_id(t, "oo1@oo1.example");
    let sent = |ls: &LocalStack, id: String| {
        let store = ls.store.clone();
        async move {
            let mut touches = store.touches(t, &id).await.unwrap();
            touches.sort_by_key(|x| x.step);
            touches.iter().map(|x| x.sent_at).collect::<Vec<_>>()
        }
    };
    assert!(sent(&ls, away.clone()).await[0].is_some());
    // WHEN lead 0's mailbox answers with an Exchange-style auto-reply
    let req = mailgun_inbound(
        t,
        ls.now().timestamp(),
        "ooo-1",
        "oo0@oo0.example",
        "Automatic reply: Quick question",
        "Thank you for your message. I am out of the office and will be back on 4 December. For urgent matters contact my assistant.",
        &[
            ("Auto-Submitted", "auto-replied"),
            ("X-Auto-Response-Suppress", "All"),
        ],
    );
    let (status, body) = deliver(&ls, req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply_class"], "out_of_office", "{body}");
    // THEN nothing is stopped, and nothing goes to them before the 4th
    // (their step 2 was due on the 3rd)
    let lead = ls.store.lead(t, &away).await.unwrap().unwrap();
    assert_eq!((lead.replies, lead.status), (0, LeadStatus::Contacted));
    let back = lead.paused_until.expect("paused");
    assert_eq!(back.date_naive().to_string(), "2026-12-04");
    ls.run_until(at("2026-12-03T23:00:00Z")).await.unwrap();
    let away_sent = sent(&ls, away.clone()).await;
    assert_eq!(away_sent[1], None, "step 2 went out while they were away");
    assert!(states(&ls, t, &away)
        .await
        .iter()
        .all(|s| *s != TouchState::Cancelled));
    // (the other lead's sequence went on as planned)
    assert!(sent(&ls, here.clone()).await[1].is_some());
    // THEN it resumes once they are back
    ls.run_until(at("2026-12-05T00:00:00Z")).await.unwrap();
    let away_sent = sent(&ls, away.clone()).await;
    let step2 = away_sent[1].expect("step 2 sent after the return date");
    assert!(step2 >= back, "{step2} before {back}");
    // AND the timeline says why
    let detail = get(&mut ls, &auth, &format!("/admin/leads/{away}")).await;
    assert!(detail.to_string().contains("out_of_office"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_person_names_a_colleague_who_becomes_a_lead_and_interest_alerts_slack() {
    let slack = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::body_string_contains(
            "interested reply from",
        ))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .expect(1)
        .mount(&slack)
        .await;
    let mut ls = stack("replref", at(IN_WINDOW), Some(&slack.uri())).await;
    let t = "replref";
    let auth = tenant(&mut ls, t, email_steps).await;
    import(&mut ls, &auth, &csv(&emails("rf", 2, "NY"))).await;
    approve_all(&mut ls, &auth).await;
    ls.tick().await.unwrap();
    // WHEN lead 0 answers that someone else handles this, and names them
    let req = mailgun_inbound(
        t,
        ls.now().timestamp(),
        "wrong-1",
        "rf0@rf0.example",
        "Re: Quick question",
        "Hi, I'm not the right person for this. Please reach out to jane.doe@rf0.example, she runs our marketing.\n\nOn Tue, Dec 1, 2026 at 10:00 AM Sam wrote:\n> Worth a 15-minute call to book a demo?",
        &[],
    );
    let (status, body) = deliver(&ls, req.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply_class"], "wrong_person", "{body}");
    // THEN the lead is closed, its sequence stopped, and the colleague is a
    // new lead of the same company, once however often it is delivered
    let (status, _) = deliver(&ls, req).await;
    assert_eq!(status, 200);
    let lead = ls
        .store
        .lead(t, &lead_id(t, "rf0@rf0.example"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status, LeadStatus::Closed);
    assert!(states(&ls, t, &lead.id)
        .await
        .iter()
        .all(|s| !s.is_pending()));
    let referred = ls
        .store
        .lead(t, &lead_id(t, "jane.doe@rf0.example"))
        .await
        .unwrap()
        .expect("the referral is a lead");
    assert_eq!(referred.company, lead.company);
    assert!(
        referred.source.starts_with("referral:"),
        "{}",
        referred.source
    );
    // WHEN lead 1 is interested: the operator hears at once
    let req = mailgun_inbound(
        t,
        ls.now().timestamp(),
        "int-1",
        "rf1@rf1.example",
        "Re: Quick question",
        "Sounds interesting, tell me more about how it works.",
        &[],
    );
    let (status, body) = deliver(&ls, req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply_class"], "interested", "{body}");
    slack.verify().await;
}
