// CloudFront Function (viewer request) for an S3 REST origin: /blog/x/ -> /blog/x/index.html.
// Not needed with the S3 website endpoint, which serves index.html for folders by itself.
function handler(event) {
  var request = event.request;
  if (request.uri.endsWith("/")) {
    request.uri += "index.html";
  } else if (!request.uri.split("/").pop().includes(".")) {
    request.uri += "/index.html";
  }
  return request;
}
