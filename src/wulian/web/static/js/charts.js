// Charts drawn with the vendored ECharts (static/vendor/echarts) from the figures the server
// wrote into the page: each <figure data-chart> holds a JSON block, an empty drawing area and
// the table of the same figures. Without this script the table shows; with it the chart shows
// and a 图/表 toggle brings the table back. Canvas renderer and rich-text tooltips: nothing
// here needs inline styles in markup or eval, so the page's content security policy holds.
(() => {
  "use strict";

  const COLOURS = ["#12509e", "#c9a227", "#1e7e34", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"];
  const SEGMENTS = { 上游: "#12509e", 中游: "#16a085", 下游: "#c9a227" };
  const RATINGS = { 强: "#1e7e34", 弱: "#b7791f", 缺: "#c8102e" };
  const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  const number = (value, unit) => {
    if (value === null || value === undefined) return "—";
    if (unit === "%") return `${value.toFixed(1)}%`;
    const money = unit === "万元" || unit === "亿元";
    const text = value.toLocaleString("zh-CN", {
      minimumFractionDigits: money ? 2 : 0,
      maximumFractionDigits: 2,
    });
    return `${text} ${unit}`;
  };

  function barsOption(data) {
    const axes = data.axes.map((axis, i) => ({
      type: "value",
      name: axis.name,
      nameTextStyle: { align: i === 0 ? "left" : "right" },
      min: axis.percent ? null : 0,
      splitLine: { show: i === 0 },
      axisLabel: { formatter: axis.percent ? "{value}%" : (v) => v.toLocaleString("zh-CN") },
    }));
    const few = data.categories.length * data.series.length <= 24;
    return {
      series: data.series.map((s, i) => ({
        name: s.name,
        type: s.kind,
        yAxisIndex: Math.min(s.axis, axes.length - 1),
        data: s.values,
        color: COLOURS[i % COLOURS.length],
        connectNulls: false,
        symbolSize: 6,
        barMaxWidth: 36,
        label: {
          show: few && (s.kind === "bar" || data.series.length === 1),
          position: "top",
          fontSize: 11,
          formatter: (p) => (p.value === null ? "" : number(p.value, s.unit).replace(/ .*$/, "")),
        },
        tooltip: { valueFormatter: (v) => number(v, s.unit) },
      })),
      legend: { show: data.series.length > 1, top: 0, left: "center" },
      grid: {
        left: 16,
        right: 16,
        top: data.series.length > 4 ? 84 : 56,
        bottom: 8,
        containLabel: true,
      },
      xAxis: {
        type: "category",
        data: data.categories,
        // Every name shown (slanted when there are many) up to 20 categories; beyond that,
        // labels that would overlap are left out.
        axisLabel:
          data.categories.length <= 20
            ? { interval: 0, rotate: data.categories.length > 6 ? 30 : 0 }
            : { hideOverlap: true },
      },
      yAxis: axes,
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
    };
  }

  const ROW = 78; // pixels between the nodes of a column
  const SIDE = 90; // room for the labels at either end

  // Sizes the drawing area for the graph: columns spread over its width, rows ROW apart, so the
  // layout is drawn at scale 1 (nodes stay round).
  function graphSize(data, element) {
    const tallest = Math.max(1, ...data.nodes.map((n) => Math.ceil(n.row) + 1));
    element.style.height = `${(tallest - 1) * ROW + 48 + 76}px`;
    return { tallest, width: Math.max(element.clientWidth, 760) - 2 * SIDE };
  }

  function graphOption(data, size) {
    const columns = Math.max(1, ...data.nodes.map((n) => n.column + 1));
    const step = columns > 1 ? size.width / (columns - 1) : 0;
    const largest = Math.max(1, ...data.nodes.map((n) => n.firms));
    const segments = Object.keys(SEGMENTS).filter((s) => data.nodes.some((n) => n.segment === s));
    return {
      legend: {
        top: 0,
        left: "center",
        data: segments,
      },
      tooltip: {
        renderMode: "richText",
        confine: true,
        formatter: (p) => {
          if (p.dataType === "edge") {
            const share = p.data.share === null ? "" : `，投入占比 ${p.data.share}%`;
            return `${p.data.sourceName} → ${p.data.targetName}${share}`;
          }
          const n = p.data.node;
          const revenue = n.revenue === null ? "营收未知" : `营收 ${number(n.revenue, "万元")}`;
          return `${n.name}（${n.segment}，${n.rating}）\n${n.firms} 家企业，${revenue}`;
        },
      },
      series: [
        {
          type: "graph",
          layout: "none",
          top: 48,
          left: SIDE,
          width: size.width,
          height: Math.max(1, (size.tallest - 1) * ROW),
          roam: false,
          categories: segments.map((name) => ({ name, itemStyle: { color: SEGMENTS[name] } })),
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 8,
          lineStyle: { color: "#9fb0c6", opacity: 0.9, curveness: 0.12 },
          emphasis: { focus: "adjacency", lineStyle: { width: 4 } },
          label: { show: true, position: "bottom", fontSize: 12, lineHeight: 15 },
          data: data.nodes.map((n) => ({
            id: n.key,
            name: n.name,
            node: n,
            x: n.column * step,
            y: n.row * ROW,
            category: segments.indexOf(n.segment),
            symbolSize: n.firms ? 16 + 34 * Math.sqrt(n.firms / largest) : 14,
            itemStyle: n.gap
              ? {
                  borderColor: RATINGS[n.rating],
                  borderWidth: 3,
                  borderType: n.rating === "缺" ? "dashed" : "solid",
                  color: n.rating === "缺" ? "#ffffff" : undefined,
                }
              : undefined,
            label: {
              formatter: n.gap ? `{name|${n.name}}\n{gap|${n.rating}链 · ${n.firms} 家}` : `{name|${n.name}}\n${n.firms} 家`,
              rich: {
                name: { fontWeight: "bold", fontSize: 12 },
                gap: { color: RATINGS[n.rating], fontWeight: "bold", fontSize: 11 },
              },
            },
          })),
          links: data.links.map((l) => ({
            source: l.source,
            target: l.target,
            share: l.share,
            sourceName: data.nodes.find((n) => n.key === l.source).name,
            targetName: data.nodes.find((n) => n.key === l.target).name,
            lineStyle: { width: 1 + (4 * (l.share === null ? 10 : l.share)) / 100 },
          })),
        },
      ],
    };
  }

  function draw(figure) {
    const block = document.getElementById(figure.dataset.chart);
    const area = figure.querySelector(".chart-area");
    const table = figure.querySelector(".chart-table");
    if (!block || !area || !table || typeof window.echarts === "undefined") return;
    const data = JSON.parse(block.textContent);
    area.hidden = false;
    table.hidden = true;
    const size = data.kind === "graph" ? graphSize(data, area) : null;
    const chart = window.echarts.init(area, null, { renderer: "canvas", locale: "ZH" });
    const option = data.kind === "graph" ? graphOption(data, size) : barsOption(data);
    chart.setOption({
      animation: false,
      aria: { enabled: true, label: { description: data.title } },
      textStyle: { fontFamily: FONT },
      ...option,
    });
    chart.resize();
    if (data.kind === "graph") {
      chart.on("click", (p) => {
        if (p.dataType === "node" && p.data.node.href) window.location.assign(p.data.node.href);
      });
    }
    window.addEventListener("resize", () => chart.resize());

    const toggle = document.createElement("div");
    toggle.className = "chart-toggle";
    toggle.setAttribute("role", "group");
    toggle.setAttribute("aria-label", `${data.title}：图或表`);
    const buttons = [
      ["图", false],
      ["表", true],
    ].map(([label, showTable]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = label;
      button.setAttribute("aria-pressed", String(!showTable));
      button.addEventListener("click", () => {
        table.hidden = !showTable;
        area.hidden = showTable;
        buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
        if (!showTable) chart.resize();
      });
      return button;
    });
    toggle.append(...buttons);
    const caption = figure.querySelector("figcaption");
    (caption || figure).append(toggle);
    figure.classList.add("chart-drawn");
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("figure[data-chart]").forEach(draw);
  });
})();
