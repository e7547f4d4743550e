#!/usr/bin/env bash
# dns-01 through stored DNS providers: one provider per DNS service, tested once, then named by
# the certificates that use it (renewals reuse it). Secrets never go on the command line:
# --NAME-env VAR names a variable read at each use, --NAME-file FILE seals the value in the vault.
# Replace the servers, keys and domains with yours; every command here is a real one.
set -euo pipefail

# BIND9 or Knot: RFC 2136 dynamic updates signed with a TSIG key (tsig-keygen / keymgr).
certctl dns add ns1 --provider rfc2136 --server 192.0.2.53 --key-name certctl \
  --algorithm hmac-sha256 --tsig-secret-file /etc/certctl/tsig.secret

# PowerDNS Authoritative, through its HTTP API.
certctl dns add pdns --provider powerdns --api-url http://192.0.2.54:8081 --api-key-env PDNS_API_KEY

# Cloudflare, with an API token allowed Zone:Read and DNS:Edit.
certctl dns add cf --provider cloudflare --api-token-env CF_API_TOKEN

# DigitalOcean, with a personal access token that may write the domain (TTL at least 30 s).
certctl dns add do --provider digitalocean --api-token-env DO_DNS_TOKEN --ttl 30

# Linode (Akamai Cloud) DNS Manager, with a personal access token with the domains:read_write scope.
certctl dns add li --provider linode --api-token-env LINODE_TOKEN

# deSEC, with a token that may manage the domain (the domain's minimum TTL applies, often 3600 s).
certctl dns add ds --provider desec --api-token-env DESEC_TOKEN

# Google Cloud DNS, with a service account's JSON key (role DNS Administrator), sealed in the vault.
certctl dns add gc --provider gcloud --service-account-key-file /etc/certctl/gcloud-dns.json

# Azure DNS, with an app registration (client secret) holding DNS Zone Contributor on the zone.
certctl dns add az --provider azure --tenant-id "$AZURE_TENANT_ID" --client-id "$AZURE_CLIENT_ID" \
  --client-secret-env AZURE_CLIENT_SECRET --subscription-id "$AZURE_SUBSCRIPTION_ID" --resource-group dns

# Amazon Route 53, with an IAM user's key allowed route53:ListHostedZonesByName,
# ListResourceRecordSets, ChangeResourceRecordSets and GetChange (or a profile of ~/.aws/credentials).
certctl dns add r53 --provider route53 --access-key-id AKIAIOSFODNN7EXAMPLE --secret-access-key-env AWS_SECRET_ACCESS_KEY

# Hetzner DNS (Hetzner Console), with a Cloud API token (Read & Write) of the project holding the zone.
certctl dns add hz --provider hetzner --api-token-env HCLOUD_TOKEN

# OVHcloud, with an application key, its secret and a consumer key allowed GET/POST/DELETE on /domain/zone/*.
certctl dns add ovh --provider ovh --endpoint ovh-eu --application-key 7kbG7Bk7S9Nt7ZSV \
  --application-secret-env OVH_AS --consumer-key-env OVH_CK

# Gandi LiveDNS, with a personal access token that may manage the domain's records (TTL at least 300 s).
certctl dns add gd --provider gandi --api-token-env GANDI_PAT

# Alibaba Cloud DNS (Alidns), with an AccessKey (TTL raised to 600 s, the free edition's floor).
certctl dns add ali --provider aliyun --access-key-id LTAI5tExampleId --access-key-secret-env ALIYUN_SECRET

certctl dns add gd --provider godaddy --api-key-env GODADDY_KEY --api-secret-env GODADDY_SECRET

certctl dns add pb --provider porkbun --api-key-env PORKBUN_KEY --secret-api-key-env PORKBUN_SECRET

# Your own endpoint, as lego's httpreq: POST {"fqdn","value"} to <endpoint>/present and /cleanup.
certctl dns add hook --provider httpreq --endpoint https://dns-hook.example.net/acme \
  --username certctl --password-env HTTPREQ_PASSWORD

# A delegated tech zone: every _acme-challenge.<name> is a CNAME into acme.example.net, so the
# key only ever writes there. A missing CNAME leaves the certificate pending with the record to add.
certctl dns add tech --provider rfc2136 --server 192.0.2.53 --key-name acme-tech \
  --tsig-secret-file /etc/certctl/tech.secret --tech-zone acme.example.net

certctl dns list
certctl dns test ns1 --domain example.com            # write, see served, remove a test TXT record

# A wildcard with its apex, validated together.
certctl issue wild --domain example.com --san '*.example.com' --ca letsencrypt --dns ns1

# Through the tech zone: prints e.g.
#   _acme-challenge.shop.example.com. CNAME shop-example-com.acme.example.net.
# when that CNAME is missing; add it, then:
certctl issue shop --domain shop.example.com --ca letsencrypt --dns tech || true
certctl dns check shop && certctl renew shop
