# Hotspot server profile that authenticates through lango (RADIUS), with
# CHAP login over HTTP and a MAC cookie so a paid device logs in again by
# itself. Run radius-client.rsc first (it adds the RADIUS server with
# service=hotspot).
#
# Edit the values at the top, then: /import file-name=hotspot.rsc
# The login pages live in htmlDirectory on the router's storage; upload
# lango's hotspot pages there (or keep RouterOS's own).
{
    :local profile "lango"
    :local htmlDirectory "flash/hotspot"
    :local dnsName "wifi.lan"
    :local interim "5m"
    :local cookieDays "7d"

    :if ([:len [/ip hotspot profile find where name=$profile]] = 0) do={
        /ip hotspot profile add name=$profile
    }
    /ip hotspot profile set [find where name=$profile] use-radius=yes radius-accounting=yes \
        radius-interim-update=$interim login-by=http-chap,mac-cookie html-directory=$htmlDirectory dns-name=$dnsName
    /ip hotspot user profile set [find where default=yes] add-mac-cookie=yes mac-cookie-timeout=$cookieDays
    :put ("hotspot profile " . $profile . " uses RADIUS; attach it to a server: /ip hotspot set <server> profile=" . $profile)
}
