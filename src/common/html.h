// Text safe inside HTML, for the pages and mails trailwatch writes: every
// character that could open markup or end an attribute becomes an entity.

#pragma once

#include <string>
#include <string_view>

namespace tw {

// & < > " ' as &amp; &lt; &gt; &quot; &#39;; everything else unchanged.
std::string HtmlEscape(std::string_view text);

}  // namespace tw
