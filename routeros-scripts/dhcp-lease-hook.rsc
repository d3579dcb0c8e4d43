# Tells lango about every DHCP lease (bound and released) on one DHCP
# server, so lango knows which customer is behind an address without a
# login (payment page, DHCP-MAC services).
#
# Edit the values at the top, then: /import file-name=dhcp-lease-hook.rsc
# The token is the one lango issued for RouterOS hooks. The lease script
# runs on the router with the variables RouterOS gives lease scripts
# ($leaseBound, $leaseServerName, $leaseActMAC, $leaseActIP); they are
# escaped (\$) below so that they are read when a lease changes, not now.
{
    :local langoUrl "http://10.200.0.2:8080"
    :local token "change-this-hook-token"
    :local dhcpServer "dhcp1"

    :local script (":do {/tool fetch url=\"" . $langoUrl . "/hook/dhcp-lease\" http-method=post " . \
        "http-header-field=\"Authorization: Bearer " . $token . ",Content-Type: application/x-www-form-urlencoded\" " . \
        "http-data=\"mac=\$leaseActMAC&ip=\$leaseActIP&bound=\$leaseBound&server=\$leaseServerName\" output=none} " . \
        "on-error={:log warning \"lango: dhcp-lease hook failed\"}")
    /ip dhcp-server set [find where name=$dhcpServer] lease-script=$script
}
