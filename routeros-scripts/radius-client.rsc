# lango as the RADIUS server of this router (RouterOS 7): authentication and
# accounting for PPP, hotspot and DHCP, and CoA / Disconnect-Request from
# lango (UDP 3799) accepted, so that lango can change speeds and disconnect
# users without waiting for their next login.
#
# Edit the values at the top, then: /import file-name=radius-client.rsc
# The router must also be known to lango, by the address its RADIUS packets
# come from (srcAddress below): first-run setup in the browser does it and
# shows these commands with a generated secret; later routers are added in
# the admin pages (Routers) or with
#   lango nas add --tenant <tenant> --name <router> --address <srcAddress>
# which prints a generated secret once.
# lango puts Message-Authenticator in every reply and requires it in
# requests, hence require-message-auth=yes-for-request-resp.
{
    :local langoAddress "10.200.0.2"
    :local srcAddress "10.200.0.1"
    :local secret "change-this-shared-secret"
    :local interim "5m"

    /radius add service=ppp,hotspot,dhcp address=$langoAddress src-address=$srcAddress secret=$secret \
        authentication-port=1812 accounting-port=1813 timeout=3s require-message-auth=yes-for-request-resp comment="lango:radius"
    /radius incoming set accept=yes port=3799
    /ppp aaa set use-radius=yes accounting=yes interim-update=$interim
}
