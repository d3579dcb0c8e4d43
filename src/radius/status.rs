//! Status-Server (RFC 5997): answered with Access-Accept on the
//! authentication port and Accounting-Response on the accounting port, so a
//! NAS or monitor can tell the server is alive without a real login.

use super::Radius;
use super::codec::{Builder, Code, Packet};
use super::counters::Counters;

pub fn reply(r: &Radius, req: &Packet<'_>, secret: &[u8], accounting: bool) -> Option<Vec<u8>> {
    Counters::inc(&r.counters.status_server);
    let code = if accounting { Code::AccountingResponse } else { Code::AccessAccept };
    Builder::new(code, req.identifier).finish_response(&req.authenticator, secret).ok()
}
