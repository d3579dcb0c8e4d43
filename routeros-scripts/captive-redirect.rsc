# Captive redirect for PPPoE, DHCP and static customers whose service has
# expired, been suspended or used up its quota. lango admits them into a
# captive state by putting their address in one of the address lists below
# (Mikrotik-Address-List in the Access-Accept). Their web traffic (TCP 80)
# is sent to lango's payment page; everything else is dropped except DNS
# and lango itself. When they pay, lango reconnects them without the list.
#
# Edit the values at the top, then: /import file-name=captive-redirect.rsc
{
    :local langoAddress "10.200.0.2"
    :local langoPort "8080"
    :local lists {"lango-expired"; "lango-suspended"; "lango-quota"}

    :foreach list in=$lists do={
        /ip firewall nat add chain=dstnat protocol=tcp dst-port=80 src-address-list=$list \
            dst-address=("!" . $langoAddress) action=dst-nat to-addresses=$langoAddress to-ports=$langoPort \
            comment=("lango captive: " . $list . " to the payment page")
        /ip firewall filter add chain=forward src-address-list=$list protocol=udp dst-port=53 action=accept \
            comment=("lango captive: " . $list . " DNS")
        /ip firewall filter add chain=forward src-address-list=$list protocol=tcp dst-port=53 action=accept \
            comment=("lango captive: " . $list . " DNS")
        /ip firewall filter add chain=forward src-address-list=$list dst-address=$langoAddress action=accept \
            comment=("lango captive: " . $list . " to lango")
        /ip firewall filter add chain=forward src-address-list=$list action=drop \
            comment=("lango captive: " . $list . " everything else")
    }
    :put "captive rules added at the end of the chains: move them above any rule that accepts this traffic earlier"
}
