# Walled garden: what a hotspot client may reach before logging in. lango's
# portal and payment pages, and Safaricom's M-Pesa API host. Run it after
# hotspot.rsc.
#
# Edit the values at the top, then: /import file-name=walled-garden.rsc
{
    :local langoAddress "10.200.0.2"
    :local langoHost "billing.example.com"
    :local mpesaHost "api.safaricom.co.ke"

    /ip hotspot walled-garden ip add action=accept dst-address=$langoAddress comment="lango"
    /ip hotspot walled-garden add action=allow dst-host=$langoHost comment="lango portal"
    /ip hotspot walled-garden add action=allow dst-host=$mpesaHost comment="M-Pesa (Daraja)"
}
