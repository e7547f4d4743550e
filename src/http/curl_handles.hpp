#pragma once
/// RAII handles for libcurl (STYLE.md section 4): one unique_ptr alias per C type, each with a
/// stateless deleter. Private to src/http.
#include <curl/curl.h>

#include <memory>

namespace certctl::http {

struct CurlEasyFree {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct CurlSlistFree {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

using CurlPtr = std::unique_ptr<CURL, CurlEasyFree>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistFree>;

/// Append one string to a list (curl copies it). False on allocation failure, leaving `list`
/// unchanged, so the caller still owns every earlier entry.
inline bool slist_append(CurlSlistPtr& list, const char* s) {
  curl_slist* grown = curl_slist_append(list.get(), s);
  if (!grown) return false;
  (void)list.release();
  list.reset(grown);
  return true;
}

}  // namespace certctl::http
