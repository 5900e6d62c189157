#include "lmkit/util/svg_plot.hpp"

#include <gtest/gtest.h>

TEST(SvgPlot, PlacesPointsOnTheAxesAndEscapesText) {
  lmkit::PlotSeries series{"a < b", "#123456", {{0, 0}, {10, 1}}};
  std::string svg = lmkit::line_plot_svg({series}, {"title & more", "n", "agreement", false, true});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // x 0 → left edge 70, x 10 → 640 - 20 = 620; y 0 → bottom 350, y 1 → top 40.
  EXPECT_NE(svg.find("points=\"70.0,350.0 620.0,40.0 \""), std::string::npos) << svg;
  EXPECT_NE(svg.find("title &amp; more"), std::string::npos);
  EXPECT_NE(svg.find("a &lt; b"), std::string::npos);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
}
