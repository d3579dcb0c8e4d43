# Tells lango when a hotspot user logs in and out (on-login / on-logout of
# a hotspot user profile), so sessions and devices are known before RADIUS
# accounting arrives.
#
# Edit the values at the top, then: /import file-name=hotspot-hooks.rsc
# The token is the one lango issued for RouterOS hooks. The scripts run on
# the router with the variables RouterOS gives hotspot login scripts
# ($user, $"mac-address", $address); they are escaped (\$) below so that
# they are read at each login, not now.
{
    :local langoUrl "http://10.200.0.2:8080"
    :local token "change-this-hook-token"
    :local userProfile "default"

    :local header ("http-header-field=\"Authorization: Bearer " . $token . ",Content-Type: application/x-www-form-urlencoded\"")
    :local data "http-data=(\"user=\" . \$user . \"&mac=\" . \$\"mac-address\" . \"&ip=\" . \$address)"
    :local onLogin (":do {/tool fetch url=\"" . $langoUrl . "/hook/hotspot-login\" http-method=post " . $header . \
        " " . $data . " output=none} on-error={:log warning \"lango: hotspot-login hook failed\"}")
    :local onLogout (":do {/tool fetch url=\"" . $langoUrl . "/hook/hotspot-logout\" http-method=post " . $header . \
        " " . $data . " output=none} on-error={:log warning \"lango: hotspot-logout hook failed\"}")
    /ip hotspot user profile set [find where name=$userProfile] on-login=$onLogin on-logout=$onLogout
}
