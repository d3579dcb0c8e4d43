//! RADIUS dictionary constants: standard attribute numbers (RFC 2865, 2866,
//! 2869, 3162, 3576/5176, 4818, 5997, 6911), well-known enumerated values,
//! and the Microsoft (311, RFC 2548) and MikroTik (14988) vendor-specific
//! attribute numbers. Numbers (and the names of Error-Cause values, for
//! logs) only; no behaviour lives here.

/// Standard attribute types.
pub mod attr {
    // RFC 2865
    pub const USER_NAME: u8 = 1;
    pub const USER_PASSWORD: u8 = 2;
    pub const CHAP_PASSWORD: u8 = 3;
    pub const NAS_IP_ADDRESS: u8 = 4;
    pub const NAS_PORT: u8 = 5;
    pub const SERVICE_TYPE: u8 = 6;
    pub const FRAMED_PROTOCOL: u8 = 7;
    pub const FRAMED_IP_ADDRESS: u8 = 8;
    pub const FRAMED_IP_NETMASK: u8 = 9;
    pub const FRAMED_ROUTING: u8 = 10;
    pub const FILTER_ID: u8 = 11;
    pub const FRAMED_MTU: u8 = 12;
    pub const FRAMED_COMPRESSION: u8 = 13;
    pub const LOGIN_IP_HOST: u8 = 14;
    pub const LOGIN_SERVICE: u8 = 15;
    pub const REPLY_MESSAGE: u8 = 18;
    pub const FRAMED_ROUTE: u8 = 22;
    pub const STATE: u8 = 24;
    pub const CLASS: u8 = 25;
    pub const VENDOR_SPECIFIC: u8 = 26;
    pub const SESSION_TIMEOUT: u8 = 27;
    pub const IDLE_TIMEOUT: u8 = 28;
    pub const TERMINATION_ACTION: u8 = 29;
    pub const CALLED_STATION_ID: u8 = 30;
    pub const CALLING_STATION_ID: u8 = 31;
    pub const NAS_IDENTIFIER: u8 = 32;
    pub const PROXY_STATE: u8 = 33;
    // RFC 2866
    pub const ACCT_STATUS_TYPE: u8 = 40;
    pub const ACCT_DELAY_TIME: u8 = 41;
    pub const ACCT_INPUT_OCTETS: u8 = 42;
    pub const ACCT_OUTPUT_OCTETS: u8 = 43;
    pub const ACCT_SESSION_ID: u8 = 44;
    pub const ACCT_AUTHENTIC: u8 = 45;
    pub const ACCT_SESSION_TIME: u8 = 46;
    pub const ACCT_INPUT_PACKETS: u8 = 47;
    pub const ACCT_OUTPUT_PACKETS: u8 = 48;
    pub const ACCT_TERMINATE_CAUSE: u8 = 49;
    pub const ACCT_MULTI_SESSION_ID: u8 = 50;
    pub const ACCT_LINK_COUNT: u8 = 51;
    // RFC 2869
    pub const ACCT_INPUT_GIGAWORDS: u8 = 52;
    pub const ACCT_OUTPUT_GIGAWORDS: u8 = 53;
    pub const EVENT_TIMESTAMP: u8 = 55;
    pub const CHAP_CHALLENGE: u8 = 60;
    pub const NAS_PORT_TYPE: u8 = 61;
    pub const PORT_LIMIT: u8 = 62;
    pub const CONNECT_INFO: u8 = 77;
    pub const EAP_MESSAGE: u8 = 79;
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
    pub const ACCT_INTERIM_INTERVAL: u8 = 85;
    pub const NAS_PORT_ID: u8 = 87;
    pub const FRAMED_POOL: u8 = 88;
    // RFC 3162
    pub const NAS_IPV6_ADDRESS: u8 = 95;
    pub const FRAMED_INTERFACE_ID: u8 = 96;
    pub const FRAMED_IPV6_PREFIX: u8 = 97;
    pub const LOGIN_IPV6_HOST: u8 = 98;
    pub const FRAMED_IPV6_ROUTE: u8 = 99;
    pub const FRAMED_IPV6_POOL: u8 = 100;
    // RFC 3576 / RFC 5176
    pub const ERROR_CAUSE: u8 = 101;
    // RFC 4818
    pub const DELEGATED_IPV6_PREFIX: u8 = 123;
    // RFC 6911
    pub const FRAMED_IPV6_ADDRESS: u8 = 168;
    pub const DNS_SERVER_IPV6_ADDRESS: u8 = 169;
    pub const DELEGATED_IPV6_PREFIX_POOL: u8 = 171;
}

/// Acct-Status-Type (40) values, RFC 2866 §5.1.
pub mod acct_status {
    pub const START: u32 = 1;
    pub const STOP: u32 = 2;
    pub const INTERIM_UPDATE: u32 = 3;
    pub const ACCOUNTING_ON: u32 = 7;
    pub const ACCOUNTING_OFF: u32 = 8;
}

/// Service-Type (6) values, RFC 2865 §5.6.
pub mod service_type {
    pub const LOGIN: u32 = 1;
    pub const FRAMED: u32 = 2;
    pub const CALL_CHECK: u32 = 10;
    pub const AUTHORIZE_ONLY: u32 = 17;
}

/// Framed-Protocol (7) values, RFC 2865 §5.7.
pub mod framed_protocol {
    pub const PPP: u32 = 1;
}

/// NAS-Port-Type (61) values, RFC 2865 §5.41 / RFC 4603.
pub mod nas_port_type {
    pub const ASYNC: u32 = 0;
    pub const VIRTUAL: u32 = 5;
    pub const ETHERNET: u32 = 15;
    pub const WIRELESS_80211: u32 = 19;
}

/// Acct-Terminate-Cause (49) values, RFC 2866 §5.10.
pub mod terminate_cause {
    pub const USER_REQUEST: u32 = 1;
    pub const LOST_CARRIER: u32 = 2;
    pub const LOST_SERVICE: u32 = 3;
    pub const IDLE_TIMEOUT: u32 = 4;
    pub const SESSION_TIMEOUT: u32 = 5;
    pub const ADMIN_RESET: u32 = 6;
    pub const ADMIN_REBOOT: u32 = 7;
    pub const PORT_ERROR: u32 = 8;
    pub const NAS_ERROR: u32 = 9;
    pub const NAS_REQUEST: u32 = 10;
    pub const NAS_REBOOT: u32 = 11;
    pub const PORT_UNNEEDED: u32 = 12;
    pub const PORT_PREEMPTED: u32 = 13;
    pub const PORT_SUSPENDED: u32 = 14;
    pub const SERVICE_UNAVAILABLE: u32 = 15;
    pub const CALLBACK: u32 = 16;
    pub const USER_ERROR: u32 = 17;
    pub const HOST_REQUEST: u32 = 18;
}

/// Error-Cause (101) values, RFC 5176 §3.6.
pub mod error_cause {
    pub const RESIDUAL_SESSION_CONTEXT_REMOVED: u32 = 201;
    pub const INVALID_EAP_PACKET: u32 = 202;
    pub const UNSUPPORTED_ATTRIBUTE: u32 = 401;
    pub const MISSING_ATTRIBUTE: u32 = 402;
    pub const NAS_IDENTIFICATION_MISMATCH: u32 = 403;
    pub const INVALID_REQUEST: u32 = 404;
    pub const UNSUPPORTED_SERVICE: u32 = 405;
    pub const UNSUPPORTED_EXTENSION: u32 = 406;
    pub const INVALID_ATTRIBUTE_VALUE: u32 = 407;
    pub const ADMINISTRATIVELY_PROHIBITED: u32 = 501;
    pub const REQUEST_NOT_ROUTABLE: u32 = 502;
    pub const SESSION_CONTEXT_NOT_FOUND: u32 = 503;
    pub const SESSION_CONTEXT_NOT_REMOVABLE: u32 = 504;
    pub const OTHER_PROXY_PROCESSING_ERROR: u32 = 505;
    pub const RESOURCES_UNAVAILABLE: u32 = 506;
    pub const REQUEST_INITIATED: u32 = 507;
    pub const MULTIPLE_SESSION_SELECTION_UNSUPPORTED: u32 = 508;

    /// The RFC 5176 name of an Error-Cause value; `"Unknown"` otherwise.
    pub fn error_cause_name(cause: u32) -> &'static str {
        match cause {
            RESIDUAL_SESSION_CONTEXT_REMOVED => "Residual-Session-Context-Removed",
            INVALID_EAP_PACKET => "Invalid-EAP-Packet",
            UNSUPPORTED_ATTRIBUTE => "Unsupported-Attribute",
            MISSING_ATTRIBUTE => "Missing-Attribute",
            NAS_IDENTIFICATION_MISMATCH => "NAS-Identification-Mismatch",
            INVALID_REQUEST => "Invalid-Request",
            UNSUPPORTED_SERVICE => "Unsupported-Service",
            UNSUPPORTED_EXTENSION => "Unsupported-Extension",
            INVALID_ATTRIBUTE_VALUE => "Invalid-Attribute-Value",
            ADMINISTRATIVELY_PROHIBITED => "Administratively-Prohibited",
            REQUEST_NOT_ROUTABLE => "Request-Not-Routable",
            SESSION_CONTEXT_NOT_FOUND => "Session-Context-Not-Found",
            SESSION_CONTEXT_NOT_REMOVABLE => "Session-Context-Not-Removable",
            OTHER_PROXY_PROCESSING_ERROR => "Other-Proxy-Processing-Error",
            RESOURCES_UNAVAILABLE => "Resources-Unavailable",
            REQUEST_INITIATED => "Request-Initiated",
            MULTIPLE_SESSION_SELECTION_UNSUPPORTED => "Multiple-Session-Selection-Unsupported",
            _ => "Unknown",
        }
    }
}

pub use error_cause::error_cause_name;

/// Microsoft vendor-specific attributes (vendor 311, RFC 2548).
pub mod microsoft {
    pub const VENDOR_ID: u32 = 311;
    pub const MS_CHAP_RESPONSE: u8 = 1;
    pub const MS_CHAP_ERROR: u8 = 2;
    pub const MS_MPPE_ENCRYPTION_POLICY: u8 = 7;
    pub const MS_MPPE_ENCRYPTION_TYPES: u8 = 8;
    pub const MS_CHAP_CHALLENGE: u8 = 11;
    pub const MS_MPPE_SEND_KEY: u8 = 16;
    pub const MS_MPPE_RECV_KEY: u8 = 17;
    pub const MS_CHAP2_RESPONSE: u8 = 25;
    pub const MS_CHAP2_SUCCESS: u8 = 26;
}

/// MikroTik vendor-specific attributes (vendor 14988), numbers checked
/// against the public `dictionary.mikrotik` (FreeRADIUS / RouterOS manual).
pub mod mikrotik {
    pub const VENDOR_ID: u32 = 14988;
    /// Alias of [`VENDOR_ID`].
    pub const RECV_LIMIT: u8 = 1;
    pub const XMIT_LIMIT: u8 = 2;
    pub const GROUP: u8 = 3;
    pub const WIRELESS_FORWARD: u8 = 4;
    pub const WIRELESS_SKIP_DOT1X: u8 = 5;
    pub const WIRELESS_ENC_ALGO: u8 = 6;
    pub const WIRELESS_ENC_KEY: u8 = 7;
    pub const RATE_LIMIT: u8 = 8;
    pub const REALM: u8 = 9;
    pub const HOST_IP: u8 = 10;
    pub const MARK_ID: u8 = 11;
    pub const ADVERTISE_URL: u8 = 12;
    pub const ADVERTISE_INTERVAL: u8 = 13;
    pub const RECV_LIMIT_GIGAWORDS: u8 = 14;
    pub const XMIT_LIMIT_GIGAWORDS: u8 = 15;
    pub const WIRELESS_PSK: u8 = 16;
    pub const TOTAL_LIMIT: u8 = 17;
    pub const TOTAL_LIMIT_GIGAWORDS: u8 = 18;
    pub const ADDRESS_LIST: u8 = 19;
    pub const WIRELESS_MPKEY: u8 = 20;
    pub const WIRELESS_COMMENT: u8 = 21;
    pub const DELEGATED_IPV6_POOL: u8 = 22;
    pub const DHCP_OPTION_SET: u8 = 23;
    pub const DHCP_OPTION_PARAM_STR1: u8 = 24;
    pub const DHCP_OPTION_PARAM_STR2: u8 = 25;
    pub const WIRELESS_VLANID: u8 = 26;
    pub const WIRELESS_VLANIDTYPE: u8 = 27;
    pub const WIRELESS_MINSIGNAL: u8 = 28;
    pub const WIRELESS_MAXSIGNAL: u8 = 29;
    pub const SWITCHING_FILTER: u8 = 30;
}
