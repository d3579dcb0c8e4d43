//! lango's SMS gateway clients (`lango::notify::gateways`) against the
//! independent simulators in `support::gateways`: what each gateway
//! receives, wrong credentials, injected failures, Celcom's balance and
//! delivery reports, and the operator-templated generic gateway.

use std::time::Duration;

use lango::notify::gateways::{Celcom, HttpGateway, Onfon};
use lango::notify::{Delivery, SendError};

use crate::support::gateways::{
    CELCOM_API_KEY, CELCOM_PARTNER_ID, CELCOM_SHORTCODE, CelcomSim, HTTP_TOKEN, HttpSim, ONFON_ACCESS_KEY,
    ONFON_API_KEY, ONFON_CLIENT_ID, ONFON_SENDER, OnfonSim,
};

const TO: &str = "254712345678";

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

fn celcom(sim: &CelcomSim) -> Celcom {
    Celcom {
        base_url: format!("{}/", sim.base_url()),
        partner_id: CELCOM_PARTNER_ID.into(),
        api_key: CELCOM_API_KEY.into(),
        shortcode: CELCOM_SHORTCODE.into(),
    }
}

fn onfon(sim: &OnfonSim) -> Onfon {
    Onfon { base_url: sim.base_url(), ..Onfon::new(ONFON_CLIENT_ID, ONFON_API_KEY, ONFON_SENDER) }
}

fn json_post(sim: &HttpSim) -> HttpGateway {
    HttpGateway {
        url: format!("{}/api/v2/sms", sim.base_url()),
        method: "POST".into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), "Bearer {token}".into()),
        ],
        body: r#"{"to": "{to_plus}", "message": "{message}", "sender": "{sender}", "meta": {"source": "lango"}}"#
            .into(),
        success: "queued".into(),
        token: HTTP_TOKEN.into(),
        sender: "LANGO".into(),
    }
}

#[tokio::test]
async fn celcom_sends_the_documented_json_and_answers_the_message_id() {
    let sim = CelcomSim::start();
    let id = celcom(&sim).send(&http(), TO, "Malipo yako ya KES 1,500 yamepokelewa. Asante!").await.unwrap();
    assert_eq!(id, "8290842");
    let got = sim.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert!(r.accepted);
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/api/services/sendsms/"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!((r.to.as_str(), r.sender.as_str()), (TO, CELCOM_SHORTCODE));
    assert_eq!(r.message, "Malipo yako ya KES 1,500 yamepokelewa. Asante!");
    let body = r.json();
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["apikey", "message", "mobile", "partnerID", "shortcode"]);
    assert_eq!(body["mobile"], TO);

    // The next message gets the next id.
    assert_eq!(celcom(&sim).send(&http(), TO, "Second").await.unwrap(), "8290843");
}

#[tokio::test]
async fn celcom_refusals_are_in_its_words_without_the_key() {
    let sim = CelcomSim::start();
    let wrong = Celcom { api_key: "celcom_wrong_key_77".into(), ..celcom(&sim) };
    let err = wrong.send(&http(), TO, "Hello").await.unwrap_err();
    assert_eq!(err, SendError::Refused { status: 200, body: "Invalid credentials (code 1006)".into() });
    assert!(!err.to_string().contains("celcom_wrong_key_77"));
    assert!(!sim.received()[0].accepted);
    assert!(matches!(wrong.balance(&http()).await, Err(SendError::Refused { .. })));

    let bad_sender = Celcom { shortcode: "OTHER".into(), ..celcom(&sim) };
    let err = bad_sender.send(&http(), TO, "Hello").await.unwrap_err();
    assert_eq!(err.to_string(), "the gateway refused the request (200): Invalid sender id (code 1001)");

    let err = celcom(&sim).send(&http(), "0712345678", "Hello").await.unwrap_err();
    assert_eq!(err, SendError::NotSent { to: "0712345678".into(), status: "Invalid mobile number (code 1003)".into() });
}

#[tokio::test]
async fn celcom_fails_twice_then_sends() {
    let sim = CelcomSim::start();
    sim.fail_next(2);
    let c = celcom(&sim);
    for _ in 0..2 {
        let err = c.send(&http(), TO, "Retry me").await.unwrap_err();
        assert_eq!(err, SendError::NotSent { to: TO.into(), status: "Failed. System error (code 1005)".into() });
    }
    assert_eq!(c.send(&http(), TO, "Retry me").await.unwrap(), "8290842");
    let accepted: Vec<bool> = sim.received().iter().map(|r| r.accepted).collect();
    assert_eq!(accepted, [false, false, true]);
}

#[tokio::test]
async fn celcom_balance_and_delivery_reports() {
    let sim = CelcomSim::start();
    let c = celcom(&sim);
    sim.set_credit("545.00");
    assert_eq!(c.balance(&http()).await.unwrap(), "545.00");

    let id = c.send(&http(), TO, "Track me").await.unwrap();
    // No report yet (1008 "No Delivery Report"): still on its way.
    assert_eq!(c.dlr(&http(), &id).await.unwrap(), Delivery::Pending);
    sim.set_dlr(&id, "SentToNetwork");
    assert_eq!(c.dlr(&http(), &id).await.unwrap(), Delivery::Pending);
    sim.set_dlr(&id, "DeliveredToTerminal");
    assert_eq!(c.dlr(&http(), &id).await.unwrap(), Delivery::Delivered);
    sim.set_dlr(&id, "AbsentSubscriber");
    assert_eq!(c.dlr(&http(), &id).await.unwrap(), Delivery::Failed("AbsentSubscriber".into()));

    let wrong = Celcom { partner_id: "1".into(), ..celcom(&sim) };
    assert!(matches!(wrong.dlr(&http(), &id).await, Err(SendError::Refused { .. })));
}

#[tokio::test]
async fn onfon_sends_its_bulk_shape_and_flags_unicode() {
    let sim = OnfonSim::start();
    let o = Onfon { access_key: ONFON_ACCESS_KEY.into(), ..onfon(&sim) };
    let id = o.send(&http(), TO, "Habari! Malipo yamepokelewa.").await.unwrap();
    assert_eq!(id, "onfon-sim-1");
    let id = o.send(&http(), TO, "Asante sana 🙏 karibu tena").await.unwrap();
    assert_eq!(id, "onfon-sim-2");

    let got = sim.received();
    assert_eq!(got.len(), 2);
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/v1/sms/SendBulkSMS"));
    assert_eq!(r.header("accesskey"), Some(ONFON_ACCESS_KEY));
    assert_eq!(
        (r.to.as_str(), r.sender.as_str(), r.message.as_str()),
        (TO, ONFON_SENDER, "Habari! Malipo yamepokelewa.")
    );
    let body = r.json();
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["ApiKey", "ClientId", "IsFlash", "IsUnicode", "MessageParameters", "ScheduleDateTime", "SenderId"]
    );
    assert_eq!(body["MessageParameters"], serde_json::json!([{"Number": TO, "Text": "Habari! Malipo yamepokelewa."}]));
    assert_eq!(body["IsUnicode"], false);
    assert_eq!(body["IsFlash"], false);
    assert!(body["ScheduleDateTime"].is_null());
    assert_eq!(got[1].json()["IsUnicode"], true);
    assert_eq!(got[1].message, "Asante sana 🙏 karibu tena");

    // Without an access key no header goes.
    onfon(&sim).send(&http(), TO, "No access key").await.unwrap();
    assert_eq!(sim.received()[2].header("accesskey"), None);
}

#[tokio::test]
async fn onfon_refusals_and_injected_failures() {
    let sim = OnfonSim::start();
    let wrong = Onfon { api_key: "wrong+Key/Onfon=".into(), ..onfon(&sim) };
    let err = wrong.send(&http(), TO, "Hello").await.unwrap_err();
    assert_eq!(err, SendError::Refused { status: 200, body: "Invalid api credential (code 007)".into() });
    assert!(!err.to_string().contains("wrong+Key"));

    sim.fail_next(2);
    let o = onfon(&sim);
    for _ in 0..2 {
        let err = o.send(&http(), TO, "Retry me").await.unwrap_err();
        assert_eq!(err, SendError::NotSent { to: TO.into(), status: "Something went wrong (code 006)".into() });
    }
    assert_eq!(o.send(&http(), TO, "Retry me").await.unwrap(), "onfon-sim-1");

    let err = o.send(&http(), "25471234", "Short number").await.unwrap_err();
    assert_eq!(err, SendError::NotSent { to: "25471234".into(), status: "Invalid mobile numbers (code 013)".into() });
}

#[tokio::test]
async fn generic_gateway_posts_json_with_escaped_values() {
    let sim = HttpSim::start();
    let text = "Bei: \"KES 50\"\nAsante 👋 \\ {to}";
    let id = json_post(&sim).send(&http(), TO, text).await.unwrap();
    assert_eq!(id, "gw-1", "the nested data.message_id");
    let r = &sim.received()[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/api/v2/sms"));
    assert_eq!(r.header("authorization").unwrap(), format!("Bearer {HTTP_TOKEN}"));
    let body = r.json();
    assert_eq!(body["to"], "+254712345678");
    assert_eq!(body["message"], text, "JSON-escaped, and a {{to}} in the text stays text");
    assert_eq!(body["sender"], "LANGO");
    assert_eq!(body["meta"]["source"], "lango");
}

#[tokio::test]
async fn generic_gateway_get_and_form_post_encode_values() {
    let sim = HttpSim::start();
    let text = "Lipa 100% & karibu=sasa? é";
    let get = HttpGateway {
        url: format!("{}/send?to={{to}}&message={{message}}&sender={{sender}}&key={{token}}", sim.base_url()),
        method: "get".into(),
        token: HTTP_TOKEN.into(),
        sender: "LANGO ISP".into(),
        ..HttpGateway::default()
    };
    assert_eq!(get.send(&http(), TO, text).await.unwrap(), "gw-1");
    let r = &sim.received()[0];
    assert_eq!(r.method, "GET");
    assert!(r.target.contains("message=Lipa%20100%25%20%26%20karibu%3Dsasa%3F%20%C3%A9&"), "{}", r.target);
    assert_eq!((r.to.as_str(), r.message.as_str(), r.sender.as_str()), (TO, text, "LANGO ISP"));

    let form = HttpGateway {
        url: format!("{}/form", sim.base_url()),
        method: "POST".into(),
        body: "key={token}&to={to}&message={message}&sender={sender}".into(),
        ..get.clone()
    };
    form.send(&http(), TO, text).await.unwrap();
    let r = &sim.received()[1];
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert!(r.body.contains("message=Lipa+100%25+%26+karibu%3Dsasa%3F+%C3%A9&"), "{}", r.body);
    assert_eq!((r.message.as_str(), r.sender.as_str()), (text, "LANGO ISP"));
}

#[tokio::test]
async fn generic_gateway_failures_hide_the_token() {
    let sim = HttpSim::start();
    let wrong = HttpGateway { token: "gw_wrong_token_42".into(), ..json_post(&sim) };
    let err = wrong.send(&http(), TO, "Hello").await.unwrap_err();
    // The gateway repeats the token it was given; the error does not.
    assert_eq!(err, SendError::Refused { status: 401, body: r#"{"error":"invalid token ***"}"#.into() });

    sim.fail_next(2);
    let g = json_post(&sim);
    for _ in 0..2 {
        let err = g.send(&http(), TO, "Retry me").await.unwrap_err();
        assert_eq!(err, SendError::Refused { status: 500, body: "Internal Server Error".into() });
    }
    assert_eq!(g.send(&http(), TO, "Retry me").await.unwrap(), "gw-1");

    // A 2xx answer without the success words is not a sent message.
    let picky = HttpGateway { success: "\"status\":\"sent\"".into(), ..json_post(&sim) };
    let err = picky.send(&http(), TO, "Hello").await.unwrap_err();
    assert!(matches!(&err, SendError::NotSent { to, status } if to == TO && status.contains("queued")), "{err}");

    // Nobody listening.
    let gone = HttpGateway { url: "http://127.0.0.1:9/x?key={token}".into(), ..json_post(&sim) };
    let err = gone.send(&http(), TO, "Hello").await.unwrap_err();
    assert!(matches!(&err, SendError::Unreachable(words) if !words.contains(HTTP_TOKEN)), "{err}");
}

#[test]
fn generic_gateway_settings_are_checked() {
    let sim = HttpSim::start();
    assert_eq!(json_post(&sim).check(), Ok(()));
    let get = HttpGateway {
        url: "https://sms.example.co.ke/send?to={to_plus}&text={message}&from={sender}&key={token}".into(),
        method: "GET".into(),
        ..HttpGateway::default()
    };
    assert_eq!(get.check(), Ok(()));

    let unknown = HttpGateway { body: r#"{"to": "{to}", "name": "{customer}"}"#.into(), ..json_post(&sim) };
    let err = unknown.check().unwrap_err();
    assert!(err.contains("{customer}") && err.contains("{to_plus}"), "{err}");
    let err = HttpGateway { url: "https://x.example/{phone}".into(), ..get.clone() }.check().unwrap_err();
    assert!(err.starts_with("The URL uses {phone}"), "{err}");
    let header = vec![("X-Key".to_string(), "{apikey}".to_string())];
    let err = HttpGateway { headers: header, ..get.clone() }.check().unwrap_err();
    assert!(err.contains("X-Key") && err.contains("{apikey}"), "{err}");

    for (bad, words) in [
        (HttpGateway { method: "PUT".into(), ..get.clone() }, "GET or POST"),
        (HttpGateway { method: String::new(), ..get.clone() }, "GET or POST"),
        (HttpGateway { url: "ftp://x.example/send".into(), ..get.clone() }, "http://"),
        (HttpGateway { url: "sms.example.co.ke/send".into(), ..get.clone() }, "http://"),
        (HttpGateway { body: "to={to}".into(), ..get.clone() }, "GET request has no body"),
        (HttpGateway { headers: vec![("Bad Name".into(), "x".into())], ..get.clone() }, "header name"),
    ] {
        let err = bad.check().unwrap_err();
        assert!(err.contains(words), "{err}");
    }

    // Sending with bad settings is a configuration error, not a request.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let err = rt.block_on(unknown.send(&http(), TO, "Hello")).unwrap_err();
    assert!(matches!(err, SendError::Config(_)), "{err}");
}
