// Line plots as standalone SVG files (no plotting dependency): a loss curve, an accuracy-by-n plot.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lmkit {

struct PlotSeries {
  std::string label;
  std::string color;                              // any SVG color, e.g. "#1f77b4"
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in order; markers at each point
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool y_from_zero = false;  // start the y axis at 0 instead of the smallest value
  bool markers = false;      // a dot at every point
};

// An SVG document (640×400) with axes, five ticks per axis, one polyline per series and a legend.
std::string line_plot_svg(const std::vector<PlotSeries>& series, const PlotOptions& options);

// Text escaped for SVG / XML.
std::string xml_escape(const std::string& text);

}  // namespace lmkit
