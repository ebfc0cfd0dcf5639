#ifndef CBUILD_CCURLLOADER_H
#define CBUILD_CCURLLOADER_H
// Nothing to call from Swift: curl_loader.c defines the libcurl functions
// FoundationNetworking calls, loading libcurl.so.4 on the first of them.
#endif
