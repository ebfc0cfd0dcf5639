#ifndef CBUILD_CCURLLOADER_H
#define CBUILD_CCURLLOADER_H
/// Whether libcurl has been loaded into this process yet (see curl_loader.c).
int cbuild_curl_is_loaded(void);
#endif
