#include "admin/ui_assets.hpp"

#include <array>

// Each file is included into the object file as it is (the assembler's .incbin), between two
// symbols; CMake names the files (LICD_UI_DIR, LICD_CHARTJS, LICD_CHARTJS_LICENSE) and rebuilds
// this file when one of them changes.
#define LICD_INCBIN(name, file)                                                                    \
  asm(".section .rodata\n.balign 16\n.global licd_ui_" #name "_begin\nlicd_ui_" #name              \
      "_begin:\n.incbin \"" file "\"\n.global licd_ui_" #name "_end\nlicd_ui_" #name               \
      "_end:\n.byte 0\n.previous\n");                                                              \
  extern "C" const char licd_ui_##name##_begin[];                                                  \
  extern "C" const char licd_ui_##name##_end[];

LICD_INCBIN(index_html, LICD_UI_DIR "/index.html")
LICD_INCBIN(app_js, LICD_UI_DIR "/app.js")
LICD_INCBIN(style_css, LICD_UI_DIR "/style.css")
LICD_INCBIN(chart_js, LICD_CHARTJS)
LICD_INCBIN(chart_license, LICD_CHARTJS_LICENSE)

namespace licd::admin {

namespace {

struct entry {
  std::string_view path;
  std::string_view content_type;
  const char* begin;
  const char* end;
};

const std::array<entry, 6> assets{{
  {"/", "text/html; charset=utf-8", licd_ui_index_html_begin, licd_ui_index_html_end},
  {"/ui/app.js", "text/javascript; charset=utf-8", licd_ui_app_js_begin, licd_ui_app_js_end},
  {"/ui/style.css", "text/css; charset=utf-8", licd_ui_style_css_begin, licd_ui_style_css_end},
  {"/ui/chart.min.js", "text/javascript; charset=utf-8", licd_ui_chart_js_begin,
   licd_ui_chart_js_end},
  {"/ui/chart.js.LICENSE.txt", "text/plain; charset=utf-8", licd_ui_chart_license_begin,
   licd_ui_chart_license_end},
  {"/ui/", "text/html; charset=utf-8", licd_ui_index_html_begin, licd_ui_index_html_end},
}};

} // namespace

std::optional<ui_asset> find_ui_asset(std::string_view path) {
  for (const auto& a : assets)
    if (a.path == path)
      return ui_asset{a.content_type,
                      std::string_view(a.begin, static_cast<size_t>(a.end - a.begin))};
  return std::nullopt;
}

} // namespace licd::admin
