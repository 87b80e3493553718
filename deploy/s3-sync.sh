#!/usr/bin/env bash
# S3 + CloudFront: upload output/ with the right caching. Usage: deploy/s3-sync.sh BUCKET [DISTRIBUTION_ID]
set -euo pipefail
bucket=${1:?usage: deploy/s3-sync.sh BUCKET [DISTRIBUTION_ID]}
# fingerprinted assets: cache for a year
aws s3 sync output/static "s3://$bucket/static" --cache-control "public, max-age=31536000, immutable"
# pages, feed, sitemap: always revalidate; remove what the new build no longer has
aws s3 sync output "s3://$bucket" --delete --exclude "static/*" --exclude ".sitegen-output" \
  --exclude "_headers" --exclude "_redirects" --exclude ".nojekyll" --cache-control "public, max-age=0, must-revalidate"
if [ -n "${2:-}" ]; then
  aws cloudfront create-invalidation --distribution-id "$2" --paths "/*"
fi
