# Runs lango as a container on this router (RouterOS 7, arm64 / armv7 /
# x86_64 with the container package).
#
# Once, before this script: install the container package and enable
# container mode, which asks for physical confirmation (press the reset
# button or power-cycle within the activation timeout):
#   /system/device-mode/update container=yes
# Then upload the image built by container/build.sh (lango-arm64.tar,
# lango-armv7.tar or lango-amd64.tar) to the router's storage, edit the
# values at the top, and: /import file-name=container-install.rsc
#
# lango gets its own veth interface and address (langoAddress); the router
# is gatewayAddress on that link and reaches lango's RADIUS (UDP 1812/1813)
# HTTP (TCP 8080) and HTTPS (TCP 8443) there. lango's database and key live in dataDir on
# the router's storage (mounted at /data), so they survive image upgrades.
# Settings are LANGO_* environment variables (see lango.example.toml).
# memoryMb is the RAM lango plans for (LANGO_MEMORY_MAX_MB: its caches
# and queues are sized from it); the container's soft limit (memory-high)
# is set half as much again above it. 32 fits a hAP ac2; leave room for
# RouterOS itself.
#
# First run needs no shell: with an empty dataDir lango logs a one-time
# setup link. Read it with
#   /log print where message~"finish setup"
# open it from a computer on the router's LAN with the host part replaced
# by langoAddress (https://10.200.0.2:8443/setup?token=...), and answer the
# form (the certificate is self-signed: the browser warns once; compare
# its SHA-256 fingerprint with the one logged next to the link,
#   /log print where message~"fingerprint"
# before you accept it): it creates the admin, your ISP and this router, and shows the
# /radius commands to paste here. The link works once, for an hour;
# /container stop + start prints a new one. To choose the token yourself,
# set setupToken (16+ characters) and remove that env after setup.
{
    :local image "usb1/lango-arm64.tar"
    :local rootDir "usb1/lango/root"
    :local dataDir "usb1/lango/data"
    :local langoAddress "10.200.0.2"
    :local gatewayAddress "10.200.0.1"
    :local prefixLength "24"
    # Where M-Pesa reaches lango, e.g. "https://billing.example.com".
    :local publicUrl ""
    :local logLevel "info"
    :local memoryMb 64
    # lango reaches M-Pesa (Daraja) and SMS gateways through this interface list.
    :local wanList "WAN"
    # Optional: your own first-run setup token instead of a logged one.
    :local setupToken ""

    /interface veth add name=veth-lango address=($langoAddress . "/" . $prefixLength) gateway=$gatewayAddress
    /ip address add address=($gatewayAddress . "/" . $prefixLength) interface=veth-lango comment="lango container"
    /ip firewall nat add chain=srcnat src-address=$langoAddress out-interface-list=$wanList action=masquerade \
        comment="lango container to the internet"

    /container envs add list=lango key=LANGO_HTTP_LISTEN value="0.0.0.0:8080"
    /container envs add list=lango key=LANGO_HTTP_HTTPS_LISTEN value="0.0.0.0:8443"
    /container envs add list=lango key=LANGO_LOG_LEVEL value=$logLevel
    /container envs add list=lango key=LANGO_MEMORY_MAX_MB value=[:tostr $memoryMb]
    :if ($publicUrl != "") do={
        /container envs add list=lango key=LANGO_HTTP_PUBLIC_URL value=$publicUrl
    }
    :if ($setupToken != "") do={
        /container envs add list=lango key=LANGO_SETUP_TOKEN value=$setupToken comment="remove after setup"
    }
    /container mounts add list=lango-data src=$dataDir dst="/data"

    /container add file=$image interface=veth-lango root-dir=$rootDir envlist=lango mountlists=lango-data \
        hostname=lango logging=yes start-on-boot=yes memory-high=($memoryMb * 1572864) comment="lango"
    :put "lango is being extracted; /container print shows its status. Start it with: /container start [find comment=lango]"
    :put ("Then: /log print where message~\"finish setup\" and open the link with host " . $langoAddress . ":8443")
}
